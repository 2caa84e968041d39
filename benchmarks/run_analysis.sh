#!/usr/bin/env bash
# The runs behind benchmarks/results/analysis.md: `semcom analyze` on the shipped models,
# the prior experiment, and the ratio trend on small CNNs trained for it. About 1.5 h on
# one CPU thread. Figures and CSVs go to benchmarks/results/analysis/, training runs to runs/analysis/.
#
#   bash benchmarks/run_analysis.sh [CIFAR_NPZ] [PHOTO_FOLDER]
set -euo pipefail
CIFAR=${1:-../shared/data/cifar10.npz}
PHOTOS=${2:-../shared/data/bsds500/val}
RES=benchmarks/results/analysis
RUNS=runs/analysis
mkdir -p $RES/cifar $RES/photos32 $RES/photos $RES/ratio $RES/prior_symbols
SEMCOM="python -m semcom --threads 1"
A="$SEMCOM analyze"

# 1-2. block similarity and Fourier amplitude, 200 CIFAR-10 test images
$A similarity --model cnn,vit --data "$CIFAR" --limit 200 --snr 0,10,20 --json --out $RES/cifar > $RES/cifar/similarity.json
$A fourier --model cnn,vit --data "$CIFAR" --limit 200 --snr 0,10,20 --json --out $RES/cifar > $RES/cifar/fourier.json
# 3. symbols: CIFAR-10 against photos (32x32 centre crops: same size, more variable entropy) and whole photos
$A symbols --model cnn,vit --data "$CIFAR" --limit 200 --snr 0,10,20 --bootstrap 20 --json --out $RES/cifar > $RES/cifar/symbols.json
$A symbols --model cnn,vit --data "$PHOTOS" --crop 32 --snr 0,10,20 --bootstrap 20 --json --out $RES/photos32 > $RES/photos32/symbols.json
$A symbols --model cnn,vit --data "$PHOTOS" --limit 50 --snr 0,10,20 --json --out $RES/photos > $RES/photos/symbols.json
# 5. PAPR over OFDM, the whole CIFAR-10 test set (140 000 OFDM symbols per model and SNR)
$A papr --model cnn,vit --data "$CIFAR" --snr 0,10,20 --batch-size 250 --json --out $RES/cifar > $RES/cifar/papr.json
# 4. prior regulariser: 2 arms x 3 seeds of a 32-channel CNN, 1500 steps; weights 0.1, 1 and 0.01
for w in 0.1 1 0.01; do
  $A prior --data "$CIFAR" --prior-weight $w --json --out $RUNS > $RES/prior_w$w.json
  cp $RUNS/prior.png $RES/prior_w$w.png; cp $RUNS/prior.csv $RES/prior_w$w.csv
done
# did the regulariser move the symbols toward the Gaussian? (seed-0 models of each arm)
for arm in no-prior gaussian-prior-w0.01 gaussian-prior-w0.1 gaussian-prior-w1; do
  cp $RUNS/prior/$arm-seed0/checkpoint.pt $RUNS/prior/$arm.pt
done
$A symbols --model $RUNS/prior/no-prior.pt,$RUNS/prior/gaussian-prior-w0.01.pt,$RUNS/prior/gaussian-prior-w0.1.pt,$RUNS/prior/gaussian-prior-w1.pt \
  --data "$CIFAR" --limit 200 --snr 0,10,20 --bootstrap 20 --json --out $RES/prior_symbols > $RES/prior_symbols/symbols.json
# ratio trend: the same small CNN (no prior, seed 0) at ratios 1/12 and 1/3 (1/6 is the prior run's no-prior-seed0)
for r in 1/12 1/3; do
  n=${r/\//_}
  $SEMCOM train --arch cnn --ratio $r --model-arg channels=32 --model-arg num_res=1 --data "$CIFAR" --limit 1600 \
    --batch-size 32 --epochs 30 --lr 2e-3 --warmup-steps 20 --val-limit 200 --seed 0 --quiet --out $RUNS/ratio/r$n --resume
  cp $RUNS/ratio/r$n/checkpoint.pt $RUNS/ratio/small-cnn-$n.pt
done
cp $RUNS/prior/no-prior-seed0/checkpoint.pt $RUNS/ratio/small-cnn-1_6.pt
$A symbols --model $RUNS/ratio/small-cnn-1_12.pt,$RUNS/ratio/small-cnn-1_6.pt,$RUNS/ratio/small-cnn-1_3.pt \
  --data "$CIFAR" --limit 200 --snr 0,10,20 --bootstrap 10 --json --out $RES/ratio > $RES/ratio/symbols.json

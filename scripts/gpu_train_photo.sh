#!/usr/bin/env bash
# The prepared GPU run of issue 21 (under 10 minutes wall, setup included): train the Swin
# deep-JSCC (`--arch swin`, semcom.models.swin.GPU_PRESET, WITT's sizes) on random 256x256 crops
# of bsds500/train (batch 16, AdamW 1e-4, bf16 autocast, SNR uniform 0-20 dB, the last 20 photos
# held out for validation) for a fixed wall-clock budget (`semcom train --max-minutes`: it stops
# after the step that spends it, validates and writes the checkpoint), then
#   semcom eval --model CKPT --data bsds500/val --limit 24 --snr 0,5,10,15,20 --json
# Results under $OUT (at most 8 files come back from the device tool, each under 16 MiB):
#   train.log (the GPU, the commands and their output), log.csv and log.png (per epoch),
#   eval.json, and swin-gpu.pt (the EMA weights in float16, a model checkpoint that
#   `semcom eval --model` loads) split into swin-gpu.pt.NN parts of 15 MiB when larger:
#   `cat swin-gpu.pt.?? > swin-gpu.pt` joins them. The full training state (optimizer moments,
#   ~320 MB) stays in $RUN on the machine: `--resume` continues it while the machine is warm.
#
# Through the device tool (the checkout the session started in travels, 64 MiB at most;
# `../shared` does not travel, a `shared/` folder inside the checkout does):
#   1. here, once:  python scripts/stage_gpu_data.py
#      copies the first 24 photos of ../shared/data/bsds500/val and as many of its train/ (by name) as
#      keep the travelling tree under 62 MiB into shared/data/bsds500/ (git-ignored). The tracked tree
#      is ~43 MB since the cnn-photo training state left it (2026-12-03), so about 250 of the 400
#      training photos fit; stop background runs that write large untracked files first (a run folder
#      outside runs/ travels too).
#   2. run(command="bash scripts/gpu_train_photo.sh", timeout_s=600)
#      The machine has no network: the script uses its python3 when that imports torch (the H200
#      image has torch 2.11, numpy, pillow, pyyaml, tqdm, rich, matplotlib and torchmetrics, all
#      that training and `semcom eval` need; Sionna is not needed for the flat channel) and runs
#      the repo from PYTHONPATH; only without torch does it build .venv with scripts/setup.sh "".
#
# Knobs (environment): MINUTES=6 (training budget), CROP=256, BATCH=16, RATIO=1/6, LR=1e-4,
# EPOCHS=300 (length of the cosine schedule; the budget ends the run first), PRESET=gpu|small
# (small: SwinConfig's CPU defaults), EVAL_LIMIT=24, SNRS=0,5,10,15,20, DATA (a folder with
# train/ and val/), RUN (training folder), OUT, PRECISION=bf16 (fp32 for a CPU without
# AVX512-BF16/AMX, where bf16 matrix products are ~10x slower). Training and the eval run on
# CUDA when torch sees it (`semcom eval --device cuda`; the noise is drawn on the CPU as always).
#
# CPU dry run (the whole chain; ~7 minutes on 2 busy cores, most of it validating 20 photos):
#   MINUTES=1 CROP=64 BATCH=4 PRESET=small PRECISION=fp32 EVAL_LIMIT=2 SNRS=0,20 OUT=/tmp/gpu_dry \
#     RUN=/tmp/gpu_dry_run DATA=/work/shared/data/bsds500 \
#     bash scripts/gpu_train_photo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-runs/gpu_photo_out}
RUN=${RUN:-runs/swin-gpu}
MINUTES=${MINUTES:-6}
CROP=${CROP:-256}
BATCH=${BATCH:-16}
RATIO=${RATIO:-1/6}
LR=${LR:-1e-4}
EPOCHS=${EPOCHS:-300}
PRESET=${PRESET:-gpu}
EVAL_LIMIT=${EVAL_LIMIT:-24}
SNRS=${SNRS:-0,5,10,15,20}
PRECISION=${PRECISION:-bf16}
if [ -z "${DATA:-}" ]; then
    for d in shared/data/bsds500 ../shared/data/bsds500; do
        [ -d "$d/train" ] && DATA=$d && break
    done
fi
[ -d "${DATA:-}/train" ] && [ -d "$DATA/val" ] || { echo "no bsds500 photos: set DATA (a folder with train/ and val/)" >&2; exit 2; }
mkdir -p "$OUT" "$RUN"
LOG=$OUT/train.log

if [ -n "${PYTHON:-}" ]; then PY=$PYTHON
elif python3 -c "import torch, numpy, PIL, yaml, tqdm, matplotlib" 2>/dev/null; then PY=python3
else bash scripts/setup.sh "" && PY=.venv/bin/python
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1

{
    date -u
    command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || echo "no nvidia-smi"
    "$PY" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
} 2>&1 | tee "$LOG"

MODEL_ARGS=()
if [ "$PRESET" = gpu ]; then
    read -r -a MODEL_ARGS <<<"$("$PY" -c "
import json
from semcom.models.swin import GPU_PRESET
print(' '.join(f'--model-arg {k}={json.dumps(v, separators=(\",\", \":\"))}' for k, v in GPU_PRESET.items()))")"
elif [ "$PRESET" != small ]; then
    echo "PRESET must be gpu or small, got $PRESET" >&2; exit 2
fi

train=("$PY" -m semcom train --arch swin --ratio "$RATIO" "${MODEL_ARGS[@]}" --data "$DATA/train" --crop "$CROP"
       --batch-size "$BATCH" --lr "$LR" --warmup-steps 200 --epochs "$EPOCHS" --precision "$PRECISION" --val-holdout 20
       --val-limit 20 --max-minutes "$MINUTES" --save-every 120 --out "$RUN" --resume --quiet)
echo "+ ${train[*]}" | tee -a "$LOG"
"${train[@]}" 2>&1 | tee -a "$LOG"
cp "$RUN/log.csv" "$RUN/log.png" "$OUT/" 2>/dev/null || echo "no finished epoch: no log.csv" | tee -a "$LOG"

DEVICE=$("$PY" -c "import torch; print('cuda' if torch.cuda.is_available() else 'cpu')")
evaluate=("$PY" -m semcom eval --model "$RUN/checkpoint.pt" --data "$DATA/val" --limit "$EVAL_LIMIT" --snr "$SNRS"
          --device "$DEVICE" --json --quiet)
echo "+ ${evaluate[*]}" | tee -a "$LOG"
start=$(date +%s)
"${evaluate[@]}" >"$OUT/eval.json" 2> >(tee -a "$LOG" >&2)
echo "eval took $(( $(date +%s) - start )) s" | tee -a "$LOG"
cat "$OUT/eval.json" | tee -a "$LOG"

"$PY" - "$RUN/checkpoint.pt" "$OUT/swin-gpu.pt" <<'EOF' 2>&1 | tee -a "$LOG"
import sys

from semcom.checkpoint import read_checkpoint, save_checkpoint
from semcom.zoo import load_model

source, target = sys.argv[1], sys.argv[2]
meta = read_checkpoint(source).get("meta", {})
model = load_model(source)
save_checkpoint(target, model, state_dict={k: v.half() for k, v in model.state_dict().items()}, meta=meta)
print("weights (float16):", target)
EOF
if [ "$(stat -c %s "$OUT/swin-gpu.pt")" -gt $((15 * 1024 * 1024)) ]; then
    split -b 15m -d "$OUT/swin-gpu.pt" "$OUT/swin-gpu.pt." && rm "$OUT/swin-gpu.pt"
fi
date -u | tee -a "$LOG"
ls -l "$OUT" | tee -a "$LOG"

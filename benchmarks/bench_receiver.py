"""Receiver throughput on CPU against the sample rates radios stream.

    python benchmarks/bench_receiver.py --threads 2 --out benchmarks/results/receiver_cpu

A capture of two frame lengths (one semantic frame of a 32x32 image, k/n = 1/6,
seed numerology at 1.92 MS/s, through the sim radio at 20 dB with 10 ppm CFO)
is processed by the whole receiver (detection, CFO, header, OFDM
demodulation, LMMSE estimation and equalisation, CNN decoder), and by
detection alone. Reported: median over ``--repeats`` runs, as samples/s, and the
ratio to 1.92 MS/s (the seed setup) and 61.44 MS/s (Pluto's maximum); a ratio
>= 1 keeps up in real time.
"""

from __future__ import annotations

import argparse
import sys

import torch

from common import median_time, preamble, write_results

from phy.sync import synchronize
from radio.config import RadioConfig
from radio.sim import SimRadio
from semcom.data import load_images, sample_images_dir
from semcom.ota import Transceiver, ofdm_for_radio
from semcom.zoo import load_model

RATES = {"seed 1.92 MS/s": 1.92e6, "Pluto max 61.44 MS/s": 61.44e6}




def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--out", default="benchmarks/results/receiver_cpu")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    trx = Transceiver(load_model("cnn"), "cnn", ofdm_for_radio(1, 1, 1.92e6))
    frame, _ = trx.jscc_frame(load_images(sample_images_dir()).images[0], seq=0)
    radio = SimRadio(RadioConfig(driver="sim", center_frequency_hz=2.4e9, rx_gain_db=0.0,
                                 options={"snr_db": 20, "cfo_ppm": 10, "seed": 0}))
    radio.tx(frame, cyclic=True)
    capture = radio.rx(2 * frame.shape[-1])
    assert trx.receive(capture).image is not None
    n = capture.shape[-1]
    rows = []
    for name, fn in (("whole receiver", lambda: trx.receive(capture)),
                     ("detection + CFO + SNR only", lambda: synchronize(capture, trx.preamble, trx.fs))):
        t = median_time(fn, args.repeats)
        rows.append({"stage": name, "samples": n, "median_s": t, "samples_per_s": n / t,
                     **{f"x {k}": n / t / v for k, v in RATES.items()}})
        print(rows[-1], file=sys.stderr)
    lines = preamble("benchmarks/bench_receiver.py", argv) + [
             f"Capture of {n} samples (two frame lengths), medians of {args.repeats} runs:", "",
             "| stage | median (ms) | samples/s | vs 1.92 MS/s | vs 61.44 MS/s |", "| --- | --- | --- | --- | --- |"]
    lines += [f"| {r['stage']} | {r['median_s'] * 1e3:.1f} | {r['samples_per_s'] / 1e6:.2f} M | "
              f"{r['x seed 1.92 MS/s']:.2f}x | {r['x Pluto max 61.44 MS/s']:.3f}x |" for r in rows]
    write_results(args.out, rows, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())

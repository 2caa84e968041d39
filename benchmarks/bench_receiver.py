"""Receiver throughput on CPU against the sample rates radios stream.

    python benchmarks/bench_receiver.py --threads 2 --out benchmarks/results/receiver_cpu

A capture of two frame lengths (one semantic frame of a 32x32 image, k/n = 1/6,
seed numerology at 1.92 MS/s, through the sim radio at 20 dB with 10 ppm CFO)
is processed by the whole receiver (detection, CFO, header, OFDM
demodulation, LMMSE estimation and equalisation, JSCC decoder) one frame per
call (``Transceiver.receive``), and by detection alone; a stream of
``--stream-frames`` back-to-back frames is processed in one pass
(``Transceiver.receive_all``, decoding the frames as one batch, as the GNU
Radio sink does). Reported: median over ``--repeats`` runs, as samples/s, and the
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
    p.add_argument("--models", default="cnn,vit")
    p.add_argument("--stream-frames", type=int, default=32)
    p.add_argument("--out", default="benchmarks/results/receiver_cpu")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    image = load_images(sample_images_dir()).images[0]
    rows = []
    for model in args.models.split(","):
        trx = Transceiver(load_model(model), model, ofdm_for_radio(1, 1, 1.92e6))
        frame, _ = trx.jscc_frame(image, seq=0)
        radio = SimRadio(RadioConfig(driver="sim", center_frequency_hz=2.4e9, rx_gain_db=0.0,
                                     options={"snr_db": 20, "cfo_ppm": 10, "seed": 0}))
        radio.tx(frame, cyclic=True)
        capture = radio.rx(2 * frame.shape[-1])
        stream = radio.rx(args.stream_frames * frame.shape[-1])
        if trx.receive(capture).image is None or len(trx.receive_all(stream)) < args.stream_frames - 1:
            raise SystemExit("the receiver failed on the benchmark capture")
        # one frame per call: each call decodes one frame, which occupies frame.shape[-1] samples of a stream
        stages = [(f"whole receiver, one frame per call ({model})", frame, lambda: trx.receive(capture)),
                  (f"whole receiver, stream of {args.stream_frames} frames ({model})", stream,
                   lambda: trx.receive_all(stream))]
        if not rows:
            stages.append(("detection + CFO + SNR only", capture, lambda: synchronize(capture, trx.preamble, trx.fs)))
        for name, samples, fn in stages:
            n = samples.shape[-1]
            t = median_time(fn, args.repeats)
            rows.append({"stage": name, "samples": n, "median_s": t, "samples_per_s": n / t,
                         **{f"x {k}": n / t / v for k, v in RATES.items()}})
            print(rows[-1], file=sys.stderr)
    lines = preamble("benchmarks/bench_receiver.py", argv, args.models.split(",")) + [
             f"Medians of {args.repeats} runs. Samples/s counts the stream samples handled: one frame "
             f"({frame.shape[-1]} samples) per call for the one-frame path (each call is given a capture of two "
             f"frame lengths, as `semcom ota` does), the whole buffer for the stream and for detection. "
             f"A ratio >= 1 keeps up in real time.", "",
             "| stage | samples | median (ms) | samples/s | vs 1.92 MS/s | vs 61.44 MS/s |",
             "| --- | --- | --- | --- | --- | --- |"]
    lines += [f"| {r['stage']} | {r['samples']} | {r['median_s'] * 1e3:.1f} | {r['samples_per_s'] / 1e6:.2f} M | "
              f"{r['x seed 1.92 MS/s']:.2f}x | {r['x Pluto max 61.44 MS/s']:.3f}x |" for r in rows]
    write_results(args.out, rows, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())

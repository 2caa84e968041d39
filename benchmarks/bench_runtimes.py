"""JSCC decoder alone under each runtime (torch, ONNX Runtime fp32, ONNX Runtime int8), interleaved.

    python benchmarks/bench_runtimes.py --threads 2 --out benchmarks/results/runtimes_cpu

The runtimes take turns call by call (round robin over ``--repeats`` rounds), so
on a shared machine they see the same load and their ratios stay meaningful when
the absolute times do not. Inputs: random unit-power symbols of 32x32 images at
10 dB; int8 calibrated on CIFAR-10 training images (``--data``/``$SEMCOM_DATA``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import torch

from common import markdown_table, preamble, write_results

from semcom.runtime import RUNTIMES, make_codec
from semcom.zoo import load_model


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--models", default="cnn,vit")
    p.add_argument("--batches", default="1,32")
    p.add_argument("--data", default=None)
    p.add_argument("--out", default="benchmarks/results/runtimes_cpu")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    load = os.getloadavg()[0]
    rows = []
    for name in args.models.split(","):
        model = load_model(name)
        codecs = {rt: make_codec(model, rt, data=args.data, threads=args.threads) for rt in RUNTIMES}
        for batch in (int(b) for b in args.batches.split(",")):
            gen = torch.Generator().manual_seed(0)
            s = torch.complex(torch.randn(batch, model.num_symbols(32, 32), generator=gen),
                              torch.randn(batch, model.num_symbols(32, 32), generator=gen)) * 0.5 ** 0.5
            times = {rt: [] for rt in RUNTIMES}
            for _ in range(2):
                for c in codecs.values():
                    c.decode(s, 10.0, (32, 32))
            for _ in range(args.repeats):
                for rt, c in codecs.items():
                    t0 = time.perf_counter()
                    c.decode(s, 10.0, (32, 32))
                    times[rt].append(time.perf_counter() - t0)
            base = statistics.median(times["torch"])
            for rt in RUNTIMES:
                t = statistics.median(times[rt])
                rows.append({"model": name, "batch": batch, "runtime": rt, "median_ms": t * 1e3,
                             "images_per_s": batch / t, "speedup_vs_torch": base / t})
                print(rows[-1], file=sys.stderr)
    lines = preamble("benchmarks/bench_runtimes.py", argv, args.models.split(",")) + [
        f"Decoder only, 32x32 images; medians of {args.repeats} interleaved rounds. Load average when it "
        f"started: {load:.1f} (torch's OpenMP threads suffer more than ONNX Runtime's from an oversubscribed "
        f"machine: compare with `receiver_cpu.md`, measured on a quieter one).", ""]
    lines += markdown_table(["model", "batch", "runtime", "median (ms)", "images/s", "vs torch"],
                            [(r["model"], r["batch"], r["runtime"], f"{r['median_ms']:.1f}", f"{r['images_per_s']:.0f}",
                              f"{r['speedup_vs_torch']:.2f}x") for r in rows])
    write_results(args.out, rows, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())

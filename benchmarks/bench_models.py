"""Encoder + decoder throughput (images/s) of the shipped models on CPU.

    python benchmarks/bench_models.py --threads 2 --out benchmarks/results/models_cpu

One timing = encode + AWGN + decode of one batch of 32x32 images under
``torch.inference_mode``; each configuration is warmed up, then timed
``--repeats`` times. Reports the median images/s and the CNN/ViT ratio, as a
Markdown table (with this command line) and a CSV.
"""

from __future__ import annotations

import argparse
import csv
import platform
import shlex
import statistics
import sys
import time
from pathlib import Path

import torch

from phy.channels import AWGNChannel
from semcom.training import hardware_summary
from semcom.zoo import load_model


def time_once(model, x, channel) -> float:
    t0 = time.perf_counter()
    with torch.inference_mode():
        s = model.encode(x, 10.0)
        out = channel(s, 10.0)
        model.decode(out.s_hat, out.snr_eff_db, x.shape[2:])
    return time.perf_counter() - t0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batches", default="1,256")
    p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--models", default="cnn,vit")
    p.add_argument("--out", default="benchmarks/results/models_cpu")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    channel = AWGNChannel()
    rows = []
    for name in args.models.split(","):
        model = load_model(name)
        for batch in (int(b) for b in args.batches.split(",")):
            x = torch.rand(batch, 3, 32, 32)
            repeats = args.repeats if batch < 64 else max(5, args.repeats // 3)
            for _ in range(3):
                time_once(model, x, channel)
            times = [time_once(model, x, channel) for _ in range(repeats)]
            med = statistics.median(times)
            rows.append({"model": name, "batch": batch, "repeats": repeats, "median_s": round(med, 6),
                         "images_per_s": round(batch / med, 1)})
            print(rows[-1], file=sys.stderr)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.with_suffix(".csv"), "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    by = {(r["model"], r["batch"]): r["images_per_s"] for r in rows}
    lines = [f"Command: `python {shlex.join(['benchmarks/bench_models.py'] + (argv or sys.argv[1:]))}`", "",
             f"Machine: {hardware_summary(torch.device('cpu'))}; torch {torch.__version__}; "
             f"Python {platform.python_version()}.", "",
             "| model | batch | median time per batch (ms) | images/s (median) |", "| --- | --- | --- | --- |"]
    lines += [f"| {r['model']} | {r['batch']} | {r['median_s'] * 1e3:.2f} | {r['images_per_s']:.0f} |" for r in rows]
    if ("cnn", 256) in by and ("vit", 256) in by:
        lines += ["", f"CNN/ViT throughput ratio at batch 256: {by[('cnn', 256)] / by[('vit', 256)]:.2f}; "
                  f"at batch 1: {by[('cnn', 1)] / by[('vit', 1)]:.2f}."]
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())

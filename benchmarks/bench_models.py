"""Encoder + decoder throughput (images/s) of the shipped models on CPU.

    python benchmarks/bench_models.py --threads 2 --out benchmarks/results/models_cpu

One timing = encode + AWGN + decode of one batch of 32x32 images under
``torch.inference_mode``; each configuration is warmed up, then timed
``--repeats`` times. Reports the median images/s and the CNN/ViT ratio, as a
Markdown table (with this command line) and a CSV.
"""

from __future__ import annotations

import argparse
import sys

import torch

from common import markdown_table, median_time, preamble, write_results

from phy.channels import AWGNChannel
from semcom.zoo import load_model


@torch.inference_mode()
def round_trip(model, x, channel) -> None:
    s = model.encode(x, 10.0)
    out = channel(s, 10.0)
    model.decode(out.s_hat, out.snr_eff_db, x.shape[2:])


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
            med = median_time(lambda: round_trip(model, x, channel), repeats, warmups=3)
            rows.append({"model": name, "batch": batch, "repeats": repeats, "median_s": round(med, 6),
                         "images_per_s": round(batch / med, 1)})
            print(rows[-1], file=sys.stderr)
    by = {(r["model"], r["batch"]): r["images_per_s"] for r in rows}
    lines = preamble("benchmarks/bench_models.py", argv, args.models.split(",")) + markdown_table(
        ["model", "batch", "median time per batch (ms)", "images/s (median)"],
        [(r["model"], r["batch"], f"{r['median_s'] * 1e3:.2f}", f"{r['images_per_s']:.0f}") for r in rows])
    if ("cnn", 256) in by and ("vit", 256) in by:
        lines += ["", f"CNN/ViT throughput ratio at batch 256: {by[('cnn', 256)] / by[('vit', 256)]:.2f}; "
                  f"at batch 1: {by[('cnn', 1)] / by[('vit', 1)]:.2f}."]
    write_results(args.out, rows, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())

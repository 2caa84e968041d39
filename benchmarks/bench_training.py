"""Training throughput (images/s) of the zoo architectures on CPU, float32 vs bfloat16 autocast.

    python benchmarks/bench_training.py --threads 1 --out benchmarks/results/training_cpu
    python benchmarks/bench_training.py --photo --threads 1 --crops 128,256 --batch 4 --repeats 3 \
        --precisions fp32 --out benchmarks/results/training_photo_cpu_t1

One timing = one `semcom.training.train_step` (forward through AWGN, MSE,
backward, gradient clipping, AdamW) on a batch of 64 random 32x32 images, the
architectures at the zoo's sizes. Also times the ViT with
`F.scaled_dot_product_attention` in place of its written-out attention, the
choice `semcom.models.vit.Attention` made. Reports medians and ratios.

``--photo``: the photo candidates instead (the Swin at SwinConfig's CPU defaults, the CNN photo
model with 128 channels and 4 residual blocks) on random CROP x CROP crops, each crop size of
``--crops``, with their parameter counts; the 1-minute load average before and after is recorded.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from unittest import mock

import torch
from torch.nn import functional as F

from common import markdown_table, median_time, preamble, write_results

from phy.channels import AWGNChannel
from semcom.models.registry import build_model
from semcom.models.vit import Attention
from semcom.training import TrainConfig, train_step

ZOO_SIZES = {"cnn": {"channels": 96, "num_res": 2}, "vit": {"dim": 128, "depth": 4}}
PHOTO_MODELS = {"swin": ("swin", {}), "cnn-photo": ("cnn", {"channels": 128, "num_res": 4})}


def sdpa_forward(self, x: torch.Tensor) -> torch.Tensor:
    """`Attention.forward` through F.scaled_dot_product_attention (the alternative measured)."""
    b, t, d = x.shape
    q, k, v = self.qkv(x).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
    return self.proj(F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(b, t, d))


def time_steps(arch: str, precision: str, batch: int, repeats: int, options: dict | None = None,
               size: int = 32) -> float:
    options = ZOO_SIZES[arch] if options is None else options
    torch.manual_seed(0)
    model = build_model(arch, **options).to(memory_format=torch.channels_last)
    cfg = TrainConfig(arch=arch, model=options, precision=precision)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    channel = AWGNChannel()
    x = torch.rand(batch, 3, size, size).contiguous(memory_format=torch.channels_last)
    snr = 20 * torch.rand(batch)
    return median_time(lambda: train_step(cfg, model, channel, optimizer, x, snr), repeats, warmups=2)


def photo_main(args, argv) -> int:
    """Images/s of the photo candidates at each crop size, fp32 and bf16."""
    load_before = os.getloadavg()[0]
    rows = []
    for crop in (int(c) for c in args.crops.split(",")):
        for name, (arch, options) in PHOTO_MODELS.items():
            params = sum(p.numel() for p in build_model(arch, **options).parameters())
            for precision in args.precisions.split(","):
                med = time_steps(arch, precision, args.batch, args.repeats, options, crop)
                rows.append({"model": name, "arch": arch, "options": options, "params": params, "crop": crop,
                             "precision": precision, "batch": args.batch, "threads": args.threads,
                             "repeats": args.repeats, "median_step_s": round(med, 4),
                             "images_per_s": round(args.batch / med, 2)})
                print(rows[-1], file=sys.stderr)
    load_after = os.getloadavg()[0]
    lines = preamble("benchmarks/bench_training.py", argv) + markdown_table(
        ["model", "parameters", "crop", "precision", "median step (s)", "images/s (median)"],
        [(f"{r['model']} ({r['arch']} {r['options'] or 'defaults'})", f"{r['params'] / 1e6:.2f} M",
          f"{r['crop']}x{r['crop']}", r["precision"], f"{r['median_step_s']:.2f}", f"{r['images_per_s']:.2f}")
         for r in rows])
    lines += ["", f"CPU capability: {torch.backends.cpu.get_cpu_capability()} (without AVX512-BF16 or AMX, "
              "bfloat16 matrix products fall back to slow kernels)."]
    lines += ["", f"Batch {args.batch}, {args.threads} torch thread(s), median of {args.repeats} steps after 2 "
              f"warm-ups. 1-minute load average: {load_before:.2f} before, {load_after:.2f} after, on "
              f"{os.cpu_count()} cores: the machine was shared with other jobs, so these are lower bounds of "
              "the throughput on an idle one."]
    write_results(args.out, rows, lines)
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--repeats", type=int, default=9)
    p.add_argument("--out", default="benchmarks/results/training_cpu")
    p.add_argument("--photo", action="store_true", help="time the photo candidates on crops instead")
    p.add_argument("--crops", default="128,256", help="crop sizes for --photo")
    p.add_argument("--precisions", default="fp32,bf16", help="precisions for --photo")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.photo:
        return photo_main(args, argv)
    cases = [("cnn", "", "fp32"), ("cnn", "", "bf16"), ("vit", "", "fp32"), ("vit", "", "bf16"),
             ("vit", "sdpa", "fp32"), ("vit", "sdpa", "bf16")]
    rows = []
    for arch, variant, precision in cases:
        with mock.patch.object(Attention, "forward", sdpa_forward) if variant else contextlib.nullcontext():
            med = time_steps(arch, precision, args.batch, args.repeats)
        rows.append({"arch": arch, "attention": ("sdpa" if variant else "written-out") if arch == "vit" else "",
                     "precision": precision, "batch": args.batch, "repeats": args.repeats,
                     "median_step_s": round(med, 4), "images_per_s": round(args.batch / med, 1)})
        print(rows[-1], file=sys.stderr)
    speed = {(r["arch"], r["attention"], r["precision"]): r["images_per_s"] for r in rows}
    lines = preamble("benchmarks/bench_training.py", argv) + markdown_table(
        ["architecture", "attention", "precision", "median step (ms)", "images/s (median)"],
        [(r["arch"], r["attention"] or "-", r["precision"], f"{r['median_step_s'] * 1e3:.0f}",
          f"{r['images_per_s']:.0f}") for r in rows])
    cnn = speed[("cnn", "", "bf16")] / speed[("cnn", "", "fp32")]
    vit = speed[("vit", "written-out", "bf16")] / speed[("vit", "written-out", "fp32")]
    vs_sdpa = speed[("vit", "written-out", "bf16")] / speed[("vit", "sdpa", "fp32")]
    lines += ["", f"bf16/fp32 throughput: CNN {cnn:.2f}x, ViT {vit:.2f}x. ViT with written-out attention "
              f"under bf16 vs F.scaled_dot_product_attention in fp32 (how it trained before): {vs_sdpa:.2f}x."]
    write_results(args.out, rows, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())

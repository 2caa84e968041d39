"""Training throughput (images/s) of the zoo architectures on CPU, float32 vs bfloat16 autocast.

    python benchmarks/bench_training.py --threads 1 --out benchmarks/results/training_cpu

One timing = one `semcom.training.train_step` (forward through AWGN, MSE,
backward, gradient clipping, AdamW) on a batch of 64 random 32x32 images, the
architectures at the zoo's sizes. Also times the ViT with
`F.scaled_dot_product_attention` in place of its written-out attention, the
choice `semcom.models.vit.Attention` made. Reports medians and ratios.
"""

from __future__ import annotations

import argparse
import contextlib
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


def sdpa_forward(self, x: torch.Tensor) -> torch.Tensor:
    """`Attention.forward` through F.scaled_dot_product_attention (the alternative measured)."""
    b, t, d = x.shape
    q, k, v = self.qkv(x).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
    return self.proj(F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(b, t, d))


def time_steps(arch: str, precision: str, batch: int, repeats: int) -> float:
    torch.manual_seed(0)
    model = build_model(arch, **ZOO_SIZES[arch]).to(memory_format=torch.channels_last)
    cfg = TrainConfig(arch=arch, model=ZOO_SIZES[arch], precision=precision)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    channel = AWGNChannel()
    x = torch.rand(batch, 3, 32, 32).contiguous(memory_format=torch.channels_last)
    snr = 20 * torch.rand(batch)
    return median_time(lambda: train_step(cfg, model, channel, optimizer, x, snr), repeats, warmups=2)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--repeats", type=int, default=9)
    p.add_argument("--out", default="benchmarks/results/training_cpu")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
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

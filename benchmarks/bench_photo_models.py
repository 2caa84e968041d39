"""Encode + decode time of one 768x512 photograph on CPU, per model (the issue's bar: under 0.5 s on
2 threads).

    python benchmarks/bench_photo_models.py --threads 2 --out benchmarks/results/photo_models_cpu

One timing = encode + AWGN (10 dB) + decode of one [1, 3, 512, 768] image under
``torch.inference_mode`` (the time does not depend on the pixels, so the image is uniform noise);
encode and decode are also timed alone. Each model is warmed up, then timed ``--repeats`` times;
the table gives medians, the parameter count and the multiply-accumulates of encode + decode
(``torch.utils.flop_counter``: convolutions and matrix products, half its FLOPs). The 1-minute
load average before and after is recorded: on a shared machine other jobs slow every timing.

A model is a zoo name or ``untrained:ARCH`` (an architecture at its default configuration,
untrained weights: its time and size only, e.g. ``untrained:swin`` before a Swin is in the zoo).
"""

from __future__ import annotations

import argparse
import os
import sys

import torch

from common import median_time, preamble, write_results

from torch.utils.flop_counter import FlopCounterMode

from phy.channels import AWGNChannel
from semcom.models.registry import build_model
from semcom.zoo import load_model

SNR_DB = 10.0
UNTRAINED = "untrained:"


def get_model(name: str):
    """A zoo model, or ``untrained:ARCH`` built at its defaults (seeded weights)."""
    if name.startswith(UNTRAINED):
        torch.manual_seed(0)
        return build_model(name[len(UNTRAINED):]).eval()
    return load_model(name)


def gmac(model, x: torch.Tensor) -> float:
    """Multiply-accumulates (in units of 1e9) of encode + decode of ``x``."""
    with torch.inference_mode(), FlopCounterMode(display=False) as counter:
        model.decode(model.encode(x, SNR_DB), SNR_DB, x.shape[2:])
    return counter.get_total_flops() / 2e9


def timings(model, x: torch.Tensor, repeats: int) -> dict:
    """Median seconds of encode, decode and the round trip through AWGN."""
    channel = AWGNChannel()
    with torch.inference_mode():
        s = model.encode(x, SNR_DB)
        out = channel(s, SNR_DB)

        def round_trip():
            y = channel(model.encode(x, SNR_DB), SNR_DB)
            model.decode(y.s_hat, y.snr_eff_db, x.shape[2:])

        return {"encode_s": median_time(lambda: model.encode(x, SNR_DB), repeats, warmups=1),
                "decode_s": median_time(lambda: model.decode(out.s_hat, out.snr_eff_db, x.shape[2:]), repeats,
                                        warmups=1),
                "round_trip_s": median_time(round_trip, repeats, warmups=1)}


def label(name: str) -> str:
    if name.startswith(UNTRAINED):
        return f"{name[len(UNTRAINED):]} (untrained, default config: time and size only)"
    return name


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--size", default="512x768", help="HxW of the photograph")
    p.add_argument("--models", default="cnn-bsds,cnn,vit")
    p.add_argument("--out", default="benchmarks/results/photo_models_cpu")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    h, w = (int(v) for v in args.size.split("x"))
    x = torch.rand(1, 3, h, w, generator=torch.Generator().manual_seed(0))
    load_before = os.getloadavg()[0]
    rows = []
    for name in args.models.split(","):
        model = get_model(name)
        t = timings(model, x, args.repeats)
        rows.append({"model": name, "arch": model.arch, "params": sum(p.numel() for p in model.parameters()),
                     "gmac": round(gmac(model, x), 2), "height": h, "width": w, "threads": args.threads,
                     "repeats": args.repeats, **{k: round(v, 4) for k, v in t.items()}})
        print(rows[-1], file=sys.stderr)
    load_after = os.getloadavg()[0]
    zoo_names = [n for n in args.models.split(",") if not n.startswith(UNTRAINED)]
    lines = preamble("benchmarks/bench_photo_models.py", argv, zoo_names) + [
        f"One {w}x{h} photograph, batch 1, {args.threads} torch threads, median of {args.repeats} after a warm-up.",
        "", "| model | parameters | GMAC (encode + decode) | encode (s) | decode (s) | encode + AWGN + decode (s) "
        "| under 0.5 s |", "| --- | --- | --- | --- | --- | --- | --- |"]
    lines += [f"| {label(r['model'])} | {r['params'] / 1e6:.2f} M | {r['gmac']:.1f} | {r['encode_s']:.3f} | "
              f"{r['decode_s']:.3f} | {r['round_trip_s']:.3f} | {'yes' if r['round_trip_s'] < 0.5 else 'no'} |"
              for r in rows]
    lines += ["", f"1-minute load average: {load_before:.2f} before, {load_after:.2f} after, on "
              f"{os.cpu_count()} cores: the machine was shared with other jobs, so these times are upper bounds "
              "of what the models take on an idle one."]
    write_results(args.out, rows, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())

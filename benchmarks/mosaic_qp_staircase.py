"""BPG's integer-QP staircase under the published mosaic budget: why mosaic mode's rows sit up to 0.3 dB
off SemViT's table, in either direction, at SNRs where every LDPC picture decodes.

``bpgenc`` (libbpg's x265 front end, ``x265_glue.c``) codes a picture at one constant integer QP (x265
CQP, preset ``placebo`` at its default level 8, tune ``ssim``; CQP leaves AQ off, psy-rd is off), and
``bpg-ldpc.ipynb`` takes the highest quality whose file fits the budget. Here x265 runs the same way
through pillow-heif for every integer QP in ``--qp``, on the mosaics of the first ``--limit`` CIFAR-10
test images; at each published budget (the information bits per channel use of an MCS of the set, or
``log2(1 + SNR)``; the mosaic mode's byte rule, :func:`semcom.mosaic.published_bytes`, against the
HEVC slice payload) each picture takes its best fitting QP, and PSNR per picture is averaged weighted
by images, as the notebook does. ``heic444`` is the mosaic mode's own codec at the same budgets.

    python benchmarks/mosaic_qp_staircase.py --data ../shared/data/cifar10.npz --limit 1024 \\
        --grid 32x32,8x8 --out benchmarks/results/mosaic_qp_staircase
"""

from __future__ import annotations

import argparse
import io
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from semcom.codecs import _heif_module, make_codec, psnr_u8  # noqa: E402
from semcom.data import load_images  # noqa: E402
from semcom.models.base import parse_ratio  # noqa: E402
from semcom.mosaic import published_bytes, tile_mosaics  # noqa: E402

# x265 as bpgenc sets it (x265_glue.c: compress level 8 -> placebo, tune ssim, CQP); one worker thread
BPG_X265 = {"preset": "placebo", "tune": "ssim", "x265:psy-rd": "0", "x265:psy-rdoq": "0", "x265:aq-mode": "0",
            "x265:pools": "1"}

# (bits per channel use, what has that budget, the notebook's error-free PSNRs at that budget: min, max)
PUBLISHED = [
    (2 / 3, "ldpc1/3-qpsk, ldpc2/3-bpsk (0 dB best)", 22.25, 22.37),
    (1.0, "ldpc1/2-qpsk, capacity 0 dB", 24.13, 24.14),
    (4 / 3, "ldpc1/3-16qam, ldpc2/3-qpsk (5 dB best)", 25.42, 25.43),
    (2.0, "ldpc1/2-16qam, ldpc1/3-64qam", 27.86, 28.04),
    (math.log2(1 + 10 ** 0.5), "capacity 5 dB", 28.24, 28.24),
    (math.log2(1 + 10 ** 0.7), "capacity 7 dB", 29.72, 29.72),
    (8 / 3, "ldpc2/3-16qam (10 dB best)", 29.73, 29.73),
    (3.0, "ldpc1/2-64qam", 30.49, 30.49),
    (math.log2(11), "capacity 10 dB", 31.59, 31.59),
    (4.0, "ldpc2/3-64qam (15 dB best)", 32.83, 32.83),
    (math.log2(1 + 10 ** 1.2), "capacity 12 dB", 32.83, 32.83),
    (math.log2(1 + 10 ** 1.5), "capacity 15 dB", 34.54, 34.54),
]


def cqp_table(image: np.ndarray, qps, heic) -> dict[int, tuple[int, float]]:
    """{x265 QP: (HEVC slice payload bytes, PSNR dB)} of ``image`` coded as bpgenc codes it."""
    from PIL import Image

    _heif_module()
    table = {}
    for qp in qps:
        buf = io.BytesIO()
        Image.fromarray(image).save(buf, "HEIF", chroma=444, quality=50, enc_params={**BPG_X265, "x265:qp": str(qp)})
        data = buf.getvalue()
        with Image.open(io.BytesIO(data)) as im:
            table[qp] = (len(heic._split(data)[1]), psnr_u8(np.asarray(im.convert("RGB")), image))
    return table


def staircase_psnr(table: dict[int, tuple[int, float]], max_bytes: int) -> float | None:
    """PSNR at the lowest QP whose payload fits; None when the QP range holds no fitting or no non-fitting
    QP (the answer lies outside it)."""
    fitting = [qp for qp, (n, _) in table.items() if n <= max_bytes]
    if not fitting or len(fitting) == len(table):
        return None
    return table[min(fitting)][1]


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True)
    p.add_argument("--limit", type=int, default=1024)
    p.add_argument("--grid", default="32x32,8x8", help="mosaic grids, comma-separated")
    p.add_argument("--qp", default="30:49", help="x265 QP range lo:hi (hi excluded); bpgenc's -q is one lower")
    p.add_argument("--ratio", default="1/6")
    p.add_argument("--out", required=True, help="path without suffix: writes .json and .md")
    args = p.parse_args(argv)
    images = load_images(args.data).subset(args.limit).images
    ratio = float(parse_ratio(args.ratio))
    qps = range(*(int(v) for v in args.qp.split(":")))
    heic = make_codec("heic444")
    results, t0 = {}, time.perf_counter()
    for grid in args.grid.split(","):
        rows, cols = (int(v) for v in grid.split("x"))
        pictures, counts = tile_mosaics(images, (rows, cols))
        tables = [cqp_table(pic, qps, heic) for pic in pictures]
        per = []
        for bits, _, _, _ in PUBLISHED:
            budgets = [published_bytes(int(round(ratio * pic.size)), bits) for pic in pictures]
            stair = [staircase_psnr(t, b) for t, b in zip(tables, budgets)]
            fits = [heic.fit_psnr(pic, b) for pic, b in zip(pictures, budgets)]
            per.append({
                "bpg_qps": None if None in stair else
                sorted({min(q for q, (n, _) in t.items() if n <= b) - 1 for t, b in zip(tables, budgets)}),
                "bpg_cqp": None if None in stair else float(np.average(stair, weights=counts)),
                "heic444": float(np.average([f[2] if f else 0.0 for f in fits], weights=counts)),
            })
        results[grid] = {"pictures": len(pictures), "rows": per}
        print(f"{grid}: {len(pictures)} pictures, {time.perf_counter() - t0:.0f} s", flush=True)
    Path(args.out + ".json").write_text(json.dumps(results, indent=1))
    Path(args.out + ".md").write_text(markdown(results, args, argv))


def markdown(results: dict, args, argv) -> str:
    grids = list(results)
    head = ["bits / channel use", "has that budget", "published (notebook)"]
    for g in grids:
        head += [f"{g} BPG-like CQP (bpgenc -q)", f"{g} heic444"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for i, (bits, what, lo, hi) in enumerate(PUBLISHED):
        cells = [f"{bits:.3f}", what, f"{lo:.2f}" if lo == hi else f"{lo:.2f}..{hi:.2f}"]
        for g in grids:
            r = results[g]["rows"][i]
            qps = "" if r["bpg_qps"] is None else " (q " + ",".join(str(q) for q in r["bpg_qps"]) + ")"
            cells += ["-" if r["bpg_cqp"] is None else f"{r['bpg_cqp']:.2f}{qps}", f"{r['heic444']:.2f}"]
        lines.append("| " + " | ".join(cells) + " |")
    command = "python benchmarks/mosaic_qp_staircase.py " + " ".join(argv if argv is not None else sys.argv[1:])
    return (f"# BPG's integer-QP staircase under the published mosaic budget (first {args.limit} CIFAR-10 test "
            f"images, ratio {args.ratio})\n\n" + "\n".join(lines) + f"\n\nCommand: `{command}`\n")


if __name__ == "__main__":
    main()

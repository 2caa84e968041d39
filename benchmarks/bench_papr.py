"""PAPR reduction by clipping and filtering, and what it costs in PSNR, on a 2x2 TDL-A link.

    python benchmarks/bench_papr.py --models cnn-tdla,vit-tdla --clip 3,4,5 --limit 1000 \
        --out benchmarks/results/papr_clip_tdla_2x2_rapp3

Each model is swept (``semcom.sweep.run_sweep``, time-domain link, LMMSE
estimation and equalisation, Rapp PA p=3 at ``--ibo`` dB) without clipping and
with clipping and filtering at each ratio. PAPR is measured at the PA input, per
OFDM symbol, 4x oversampled, at CCDF 1e-3; the Gaussian approximation
1 - (1 - e^-x)^N for the N used subcarriers is given beside it. Reported per
model and clip ratio: PAPR, its reduction, and the PSNR change at every SNR.
"""

from __future__ import annotations

import argparse

from common import add_image_options, parse, preamble, write_results

from phy.papr import papr_gaussian_at_ccdf
from semcom.link import ofdm_for
from semcom.sweep import run_sweep


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", default="cnn-tdla,vit-tdla")
    p.add_argument("--clip", default="3,4,5", help="clipping ratios to RMS in dB")
    p.add_argument("--channel", default="tdl-a")
    p.add_argument("--mimo", default="2x2", help="tx x rx or tx x rx x streams (2x2x1: rank 1)")
    p.add_argument("--precoding", default="identity", help="identity or svd")
    p.add_argument("--ibo", type=float, default=3.0)
    add_image_options(p, limit=1000, out="benchmarks/results/papr_clip_tdla_2x2_rapp3")
    args = parse(p, argv)
    models = [m for m in args.models.split(",") if m]
    snrs = [float(v) for v in args.snr.split(",")]
    clips = [None] + [float(v) for v in args.clip.split(",")]

    rows = []
    for clip in clips:
        link = {"estimator": "lmmse", "equalizer": "lmmse", "clip_ratio_db": clip, "precoding": args.precoding}
        for r in run_sweep(models, args.data, channels=[args.channel], mimos=[args.mimo], pas=["rapp"],
                           ibos=[args.ibo], snrs=snrs, limit=args.limit, link_kwargs=link, progress=True):
            rows.append({"model": r["scheme"], "clip_db": "" if clip is None else clip, "snr_db": r["snr_db"],
                         "psnr_db": r["psnr_db"], "papr_db_1e-3": r["papr_db_1e-3"], "n_images": r["n_images"]})

    used = len(ofdm_for(args.mimo).used_subcarriers)
    theory = papr_gaussian_at_ccdf(1e-3, used)
    lines = preamble("benchmarks/bench_papr.py", argv, models) + [
        f"{rows[0]['n_images']} CIFAR-10 test images; {args.mimo} {args.channel.upper()}, {args.precoding} "
        f"precoding, Rapp PA (p=3) at "
        f"{args.ibo:g} dB IBO, LMMSE estimation and equalisation. PAPR at the PA input, per OFDM symbol, "
        f"4x oversampled, at CCDF 1e-3 (the largest over the SNRs: the encoder sees the SNR). "
        f"Gaussian approximation for {used} subcarriers: {theory:.2f} dB.", "",
        "| model | clip (dB) | PAPR (dB) | PAPR reduction (dB) | " +
        " | ".join(f"PSNR at {s:g} dB (change)" for s in snrs) + " |",
        "| --- " * (4 + len(snrs)) + "|"]
    for m in models:
        ref = {r["snr_db"]: r for r in rows if r["model"] == m and r["clip_db"] == ""}
        ref_papr = max(r["papr_db_1e-3"] for r in ref.values())
        for clip in clips:
            mine = {r["snr_db"]: r for r in rows if r["model"] == m and r["clip_db"] == ("" if clip is None else clip)}
            papr = max(r["papr_db_1e-3"] for r in mine.values())
            cells = [f"{mine[s]['psnr_db']:.2f} ({mine[s]['psnr_db'] - ref[s]['psnr_db']:+.2f})" for s in snrs]
            lines.append(f"| {m} | {'none' if clip is None else f'{clip:g}'} | {papr:.2f} | "
                         f"{ref_papr - papr:.2f} | " + " | ".join(cells) + " |")
    write_results(args.out, rows, lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

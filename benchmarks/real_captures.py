"""A semcom frame added into real radio captures: PSNR against the same frame in white noise.

    python benchmarks/real_captures.py --iq ../shared/data/iq --out benchmarks/results/real_captures

For each shared capture (see ``../shared/data/iq/README.md``), one semantic frame (cnn, the first
bundled image, seq 0, at the capture's rate) is added at the start, in the middle, at the end and
across the boundary of the first two reads of ``semcom ota --radio file`` (two frame lengths), at
20 / 10 / 5 dB SINR (frame power over that of the capture where the frame lies), with the whole
thing scaled by 1e3 and a DC offset of half its RMS, and received with ``Transceiver.receive_all``.
The reference is the same frame in white noise at the same SINR. Writes ``<out>.csv`` and a PNG.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tqdm import tqdm  # noqa: E402

from semcom.data import load_images, sample_images_dir, to_tensor  # noqa: E402
from semcom.metrics import psnr  # noqa: E402
from semcom.ota import Transceiver, ofdm_for_radio  # noqa: E402
from semcom.zoo import load_model  # noqa: E402
from tests.iq_captures import POSITIONS, load, mix, white_noise_like  # noqa: E402

SINRS = (20.0, 10.0, 5.0)


def first_psnr(trx, y, image) -> float | None:
    recs = [r for r in trx.receive_all(y) if r.image is not None]
    return round(float(psnr(to_tensor(recs[0].image), to_tensor(image))), 2) if recs else None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iq", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "iq"))
    ap.add_argument("--out", default="benchmarks/results/real_captures")
    ap.add_argument("--scale", type=float, default=1e3)
    ap.add_argument("--dc", type=float, default=0.5, help="DC offset relative to the capture's RMS")
    args = ap.parse_args(argv)
    metas = sorted(Path(args.iq).glob("*/*.sigmf-meta"))
    if not metas:
        print(f"no captures under {args.iq}", file=sys.stderr)
        return 2
    image = load_images(sample_images_dir()).images[0]
    model = load_model("cnn")
    rows = []
    for meta in tqdm(metas, desc="captures"):
        capture, rate = load(meta)
        trx = Transceiver(model, "cnn", ofdm_for_radio(1, 1, rate))
        frame = trx.jscc_frame(image, 0)[0][0]
        for sinr in SINRS:
            ref = first_psnr(trx, white_noise_like(capture, frame, sinr), image)
            for pos in POSITIONS:
                got = first_psnr(trx, mix(capture, frame, pos, sinr, args.scale, args.dc), image)
                rows.append({"capture": meta.stem, "sinr_db": sinr, "position": pos, "psnr_db": got,
                             "white_noise_psnr_db": ref, "delta_db": None if got is None else round(got - ref, 2)})
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.with_suffix(".csv"), "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    _plot(rows, out.with_suffix(".png"))
    for sinr in SINRS:
        sub = [r for r in rows if r["sinr_db"] == sinr]
        lost = sum(r["psnr_db"] is None for r in sub)
        worst = min(r["delta_db"] for r in sub if r["delta_db"] is not None)
        print(f"SINR {sinr:4.1f} dB: {len(sub) - lost}/{len(sub)} decoded, worst {worst:+.2f} dB vs white noise")
    print(f"wrote {out.with_suffix('.csv')} and {out.with_suffix('.png')}")
    return 0


def _plot(rows, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = sorted({r["capture"] for r in rows})
    fig, axes = plt.subplots(1, len(SINRS), figsize=(5 * len(SINRS), 4), sharey=True)
    for ax, sinr in zip(axes, SINRS):
        for k, pos in enumerate(POSITIONS):
            d = [next((r["delta_db"] for r in rows if r["capture"] == n and r["sinr_db"] == sinr
                       and r["position"] == pos), None) for n in names]
            ax.scatter([i + 0.15 * k for i in range(len(names))], [-8 if v is None else v for v in d], label=pos, s=14)
        ax.axhline(-1.0, color="grey", lw=0.8, ls="--")
        ax.set_xticks(range(len(names)), names, rotation=60, fontsize=7)
        ax.set_title(f"SINR {sinr:g} dB (-8: not decoded)")
    axes[0].set_ylabel("PSNR - PSNR in white noise (dB)")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    sys.exit(main())

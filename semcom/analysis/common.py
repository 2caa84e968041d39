"""What the analyses share: models and images by name, a seeded forward pass
through a flat channel, CSV writing and figure saving."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
import torch

from phy.channels import make_channel

from ..data import ImageSet, iter_batches, load_images, to_tensor
from ..models.base import JSCCModel

NOISE_SEED = 1234


def load_models(names: list[str]) -> dict[str, JSCCModel]:
    """Zoo names or checkpoint paths -> models in eval mode, by name (a checkpoint by its file's stem)."""
    from ..zoo import load_model

    if not names:
        raise ValueError("--model needs at least one zoo name or checkpoint")
    labels = [Path(n).stem if n.endswith(".pt") else n for n in names]
    if len(set(labels)) < len(labels):
        labels = list(names)
    return {label: load_model(name).eval() for label, name in zip(labels, names)}


def centre_crop(images: ImageSet, size: int) -> ImageSet:
    """Each image's central size x size crop (a uniform set); raises if an image is smaller."""
    crops = []
    for name, im in zip(images.names, images.images):
        h, w = im.shape[:2]
        if h < size or w < size:
            raise ValueError(f"image {name} ({h}x{w}) is smaller than --crop {size}")
        y, x = (h - size) // 2, (w - size) // 2
        crops.append(im[y:y + size, x:x + size])
    return ImageSet(np.stack(crops), list(images.names))


def load_analysis_images(data: str | None, limit: int | None, crop: int | None = None,
                         square: bool = False) -> ImageSet:
    """The test split (or all of an image folder), first ``limit`` images, optionally centre-cropped.

    With ``square`` the images must share one square size (block-output maps are compared
    along their FFT diagonal / as equal token grids): pass ``crop`` for photo folders.
    """
    images = load_images(data, "test").subset(limit)
    if crop is not None:
        images = centre_crop(images, crop)
    if square and (not images.uniform or images.images.shape[1] != images.images.shape[2]):
        raise ValueError("this analysis needs images of one square size: pass --crop N for a photo folder")
    return images


@torch.no_grad()
def run_through_channel(model: JSCCModel, x: torch.Tensor, snr_db: float, generator: torch.Generator,
                        channel: str = "awgn") -> dict:
    """Encode, pass a flat channel at ``snr_db`` and decode (the model's hooks see every block).

    :input x: [B,3,H,W] in [0,1]. :output: ``{"symbols": [B,k] complex, "x_hat": [B,3,H,W]}``.
    """
    s = model.encode(x, snr_db)
    out = make_channel(channel)(s, torch.full((x.shape[0],), float(snr_db)), generator=generator)
    x_hat = model.decode(out.decoder_symbols, out.snr_eff_db, x.shape[2:])
    return {"symbols": s, "x_hat": x_hat}


def batches(images: ImageSet, batch_size: int, progress: bool, desc: str):
    """``iter_batches`` as float tensors, with a tqdm bar on stderr when ``progress``."""
    total = -(-len(images) // batch_size) if images.uniform else len(images)
    it = (to_tensor(chunk) for _, chunk in iter_batches(images, batch_size))
    if not progress:
        return it
    from tqdm.auto import tqdm

    return tqdm(it, total=total, desc=desc, file=sys.stderr, leave=False)


def write_csv(path: Path, rows: list[dict]) -> None:
    """Rows (dicts with the same keys) to a CSV file, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else [])
        writer.writeheader()
        writer.writerows(rows)


def pyplot():
    """matplotlib.pyplot on the Agg backend (files only)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    pyplot().close(fig)


def short_block_name(name: str) -> str:
    """``encoder.res.2`` -> ``enc 2`` (tick labels shared by architectures)."""
    parts = name.split(".")
    return name if len(parts) < 2 else f"{parts[0][:3]} {parts[-1]}"


def set_block_ticks(ax, rows: list[dict]) -> None:
    """Block-index ticks labelled by the first model's short block names."""
    first = [r for r in rows if (r["model"], r["snr_db"]) == (rows[0]["model"], rows[0]["snr_db"])]
    ax.set_xticks([r["index"] for r in first], [short_block_name(r["block"]) for r in first],
                  rotation=45, ha="right", fontsize=8)

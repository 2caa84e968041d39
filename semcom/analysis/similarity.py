"""Average cosine similarity between the spatial positions of each block's output
(SemViT, Yoo et al., IEEE Access 2023, their ``analysis/cossim.py``).

For a block output [B, H, W, C], every pair of distinct positions (i != j) of the
H*W feature vectors (C-dim) gives a cosine similarity; their mean is the image's
value, averaged over the data set. A block that mixes global context (attention)
makes positions alike (high similarity); local convolutions keep them distinct.
"""

from __future__ import annotations

from pathlib import Path

import torch

from .common import load_analysis_images, pyplot, save_figure, set_block_ticks, write_csv
from .hooks import block_measures


def mean_cosine_similarity(feature_map: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """Mean cosine similarity over all pairs of distinct positions, per image.

    :input feature_map: [B, H, W, C]. :output: [B]. A zero vector has similarity 0 with everything.
    """
    b, h, w, c = feature_map.shape
    n = h * w
    if n < 2:
        raise ValueError("cosine similarity between positions needs at least 2 positions")
    v = feature_map.reshape(b, n, c).double()
    v = v / v.norm(dim=-1, keepdim=True).clamp_min(eps)
    gram = v @ v.transpose(1, 2)  # [B, n, n]
    off_diagonal = gram.sum((1, 2)) - gram.diagonal(dim1=1, dim2=2).sum(-1)
    return off_diagonal / (n * n - n)


def analyze_similarity(models: list[str], data: str | None, snrs: list[float], out: Path, limit: int | None = None,
                       crop: int | None = None, blocks: str | None = None, batch_size: int = 50,
                       progress: bool = True) -> dict:
    """Per model, SNR and block: the mean cosine similarity. Writes ``similarity.csv`` / ``.png``."""
    images = load_analysis_images(data, limit, crop, square=True)
    rows = []
    for name, snr, values in block_measures(models, images, snrs, blocks, batch_size, progress,
                                            mean_cosine_similarity):
        rows += [{"model": name, "snr_db": snr, "index": i, "block": block, "cos_sim": round(float(v), 5)}
                 for i, (block, v) in enumerate(values.items())]
    write_csv(out / "similarity.csv", rows)
    plot_similarity(rows, out / "similarity.png")
    return {"analysis": "similarity", "n_images": len(images), "rows": rows}


def plot_similarity(rows: list[dict], path: Path) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 4))
    for key in dict.fromkeys((r["model"], r["snr_db"]) for r in rows):
        mine = [r for r in rows if (r["model"], r["snr_db"]) == key]
        ax.plot([r["index"] for r in mine], [r["cos_sim"] for r in mine], marker="o",
                label=f"{key[0]}, {key[1]:g} dB")
    set_block_ticks(ax, rows)
    ax.set(xlabel="block (input, encoder ..., decoder ...)", ylabel="mean cosine similarity between positions",
           title="average cosine similarity per block")
    ax.grid(alpha=0.3)
    ax.legend(title="model, SNR", fontsize=8)
    save_figure(fig, path)

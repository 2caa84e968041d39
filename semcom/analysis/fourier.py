"""Fourier analysis of block outputs (SemViT, Yoo et al., IEEE Access 2023, their
``analysis/fourier.py``; the measure of Park and Kim, "How do vision transformers work?").

For a block output [B, H, W, C] the channel-mean map [B, H, W] is 2-D Fourier
transformed; the amplitude on the diagonal (k, k), k = 0..H/2, runs from DC to the
highest frequency. It is averaged over the data set, plotted as log amplitude
relative to DC against frequency (a fraction of Nyquist), and summarised per block
by one number: the relative high-frequency amplitude |F(H/2, H/2)| / |F(0, 0)|.
Convolutions act as high-pass filters (they keep high frequencies), attention as a
low-pass filter.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch

from .common import load_analysis_images, pyplot, save_figure, set_block_ticks, write_csv
from .hooks import block_measures


def diagonal_amplitude(feature_map: torch.Tensor) -> torch.Tensor:
    """|FFT2| of the channel-mean map on the diagonal, DC to Nyquist.

    :input feature_map: [B, H, W, C] with H == W. :output: [B, H // 2 + 1].
    """
    b, h, w, _ = feature_map.shape
    if h != w:
        raise ValueError(f"the Fourier diagonal needs square maps, got {h}x{w}")
    amp = torch.fft.fft2(feature_map.double().mean(-1)).abs()  # [B, H, W]
    k = torch.arange(h // 2 + 1)
    return amp[:, k, k]


def high_frequency_ratio(diagonal: torch.Tensor) -> float:
    """Relative high-frequency amplitude: Nyquist over DC of a mean diagonal [H/2 + 1]."""
    dc = float(diagonal[0])
    return float(diagonal[-1]) / dc if dc > 0 else math.inf


def analyze_fourier(models: list[str], data: str | None, snrs: list[float], out: Path, limit: int | None = None,
                    crop: int | None = None, blocks: str | None = None, batch_size: int = 50,
                    progress: bool = True) -> dict:
    """Per model, SNR and block: the mean diagonal amplitude and the relative high-frequency
    amplitude. Writes ``fourier.csv`` (one row per frequency) and ``fourier.png``."""
    images = load_analysis_images(data, limit, crop, square=True)
    rows, curves = [], []
    for name, snr, values in block_measures(models, images, snrs, blocks, batch_size, progress, diagonal_amplitude):
        for i, (block, diag) in enumerate(values.items()):
            rows.append({"model": name, "snr_db": snr, "index": i, "block": block,
                         "high_freq_rel_amp": round(high_frequency_ratio(diag), 6)})
            freqs = torch.linspace(0, 1, len(diag)).tolist()
            curves += [{"model": name, "snr_db": snr, "index": i, "block": block, "freq_nyquist": round(f, 4),
                        "amplitude": float(a), "log_amp_rel_dc": _log_ratio(float(a), float(diag[0]))}
                       for f, a in zip(freqs, diag)]
    write_csv(out / "fourier.csv", curves)
    plot_fourier(rows, curves, out / "fourier.png")
    return {"analysis": "fourier", "n_images": len(images), "rows": rows}


def _log_ratio(a: float, dc: float) -> float | None:
    return round(math.log(a / dc), 5) if a > 0 and dc > 0 else None


def plot_fourier(rows: list[dict], curves: list[dict], path: Path) -> None:
    """Left: log amplitude relative to DC against frequency per block of each model (first SNR);
    right: the relative high-frequency amplitude per block."""
    plt = pyplot()
    models = list(dict.fromkeys(r["model"] for r in rows))
    fig, axes = plt.subplots(1, len(models) + 1, figsize=(4.2 * (len(models) + 1), 4))
    first_snr = rows[0]["snr_db"]
    for ax, model in zip(axes, models):
        mine = [c for c in curves if c["model"] == model and c["snr_db"] == first_snr]
        blocks = list(dict.fromkeys(c["block"] for c in mine))
        cmap = plt.get_cmap("viridis")
        for i, block in enumerate(blocks):
            pts = [c for c in mine if c["block"] == block and c["log_amp_rel_dc"] is not None]
            ax.plot([c["freq_nyquist"] for c in pts], [c["log_amp_rel_dc"] for c in pts],
                    color="black" if block == "input" else cmap(i / max(1, len(blocks) - 1)),
                    ls="--" if block == "input" else "-", label=block)
        ax.set(xlabel="frequency (fraction of Nyquist, diagonal)", ylabel="log amplitude relative to DC (nepers)",
               title=f"{model}, {first_snr:g} dB")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6)
    ax = axes[-1]
    for key in dict.fromkeys((r["model"], r["snr_db"]) for r in rows):
        mine = [r for r in rows if (r["model"], r["snr_db"]) == key]
        ax.plot([r["index"] for r in mine], [r["high_freq_rel_amp"] for r in mine], marker="o",
                label=f"{key[0]}, {key[1]:g} dB")
    set_block_ticks(ax, rows)
    ax.set(xlabel="block", ylabel="|F(Nyquist)| / |F(DC)|", yscale="log", title="relative high-frequency amplitude")
    ax.grid(alpha=0.3)
    ax.legend(title="model, SNR", fontsize=8)
    save_figure(fig, path)

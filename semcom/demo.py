"""``semcom demo``: the shipped models over simulated links on bundled images.

Prints a PSNR table (models x SNRs) per link: the flat AWGN channel the
models were trained on, and a 2x2 MIMO-OFDM link (seed numerology, pilots, LS
estimation, LMMSE equalisation) over multipath fading with a Rapp PA at 6 dB
input back-off. Writes a side-by-side PNG of what arrives over the OFDM link.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from phy.channels import make_channel

from .data import ImageSet, load_images, sample_images_dir, to_tensor, to_uint8
from .evaluation import transmit
from .link import LinkConfig, OFDMLink, ofdm_for
from .metrics import psnr
from .zoo import load_model

OFDM_DEMO = "2x2 MIMO-OFDM, multipath, Rapp PA (IBO 6 dB)"


def demo_links(channel: str = "awgn") -> dict:
    """The links the demo compares, by title."""
    ofdm = OFDMLink(LinkConfig(ofdm=ofdm_for("2x2"), channel="multipath", pa="rapp", ibo_db=6.0))
    return {f"flat {channel.upper()}": make_channel(channel), OFDM_DEMO: ofdm}


def run_demo(models=("cnn", "vit"), snrs_db=(0, 5, 10, 15, 20), channel: str = "awgn",
             out: str = "semcom_demo.png", data=None, seed: int = 0, show_images: int = 4) -> dict:
    """Run the demo; returns ``{link: {model: {"ratio": k/n, snr: mean PSNR, …}}}``."""
    images = load_images(data if data is not None else sample_images_dir(), "test")
    if not images.uniform:
        raise ValueError("demo images must all have one size; use `semcom eval` for mixed sizes")
    x = to_tensor(images.images)
    loaded = {name: load_model(name) for name in models}
    results: dict = {}
    received: dict = {}
    t0 = time.time()
    for title, link in demo_links(channel).items():
        table = results.setdefault(title, {})
        for name, model in loaded.items():
            model.warn_if_outside_snr_range(snrs_db)
            table[name] = {"ratio": str(model.ratio)}
            for snr in snrs_db:
                torch.manual_seed(seed)
                x_hat = transmit(model, x, snr, link, generator=torch.Generator().manual_seed(seed))
                table[name][snr] = float(psnr(x_hat, x).mean())
                if title == OFDM_DEMO:
                    received[(name, snr)] = to_uint8(x_hat)
        _print_table(table, snrs_db, title, len(images))
    print(f"({time.time() - t0:.1f} s on {torch.get_num_threads()} CPU threads)")
    _write_png(Path(out), images, received, models, snrs_db, show_images)
    print(f"wrote {out} (received over {OFDM_DEMO})")
    return results


def _print_table(table: dict, snrs_db, title: str, n: int) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"Mean PSNR (dB) over {n} images: {title}")
    t.add_column("model")
    t.add_column("k/n")
    for snr in snrs_db:
        t.add_column(f"{snr:g} dB", justify="right")
    for name, row in table.items():
        t.add_row(name, row["ratio"], *(f"{row[s]:.2f}" for s in snrs_db))
    Console().print(t)


def _write_png(path: Path, images: ImageSet, received: dict, models, snrs_db, show: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = min(show, len(images))
    cols = 1 + len(models) * len(snrs_db)
    fig, axes = plt.subplots(rows, cols, figsize=(1.3 * cols, 1.45 * rows + 0.3), squeeze=False)
    for r in range(rows):
        panels = [("original", images.images[r])]
        panels += [(f"{m} {s:g} dB", received[(m, s)][r]) for m in models for s in snrs_db]
        for c, (title, im) in enumerate(panels):
            ax = axes[r, c]
            ax.imshow(np.asarray(im), interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(title, fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)

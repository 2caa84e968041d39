"""``semcom demo``: the shipped models over simulated links on bundled images.

Prints a PSNR table (models x SNRs) per link:

- the flat channel the base models were trained on (AWGN by default);
- a 2x2 MIMO-OFDM link with rank-1 SVD beamforming over multipath fading
  (exponential power-delay profile, 300 ns rms, torch-only so that no Sionna is
  needed), pilot LMMSE estimation and equalisation, and a Rapp PA at 3 dB input
  back-off. On that link each model's ``-tdla-bf`` fine-tune (trained through the
  same link over 3GPP TDL-A) is used where the zoo has it, and the table says so.

Writes a side-by-side PNG of what arrives over the OFDM link. With a photograph (by default the
bundled ``coffee.jpg``, :mod:`semcom.photos`), the whole photo also goes over the flat link, with each
model's photo fine-tune (``<model>-bsds``) where the zoo has one, and the PNG adds a row of a crop of
it at full resolution (pixels unscaled) beside the tiles.
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
from .photos import crop, photo_model
from .zoo import index, load_model

OFDM_DEMO = "2x2 MIMO-OFDM, SVD beamforming, multipath (300 ns), Rapp PA (IBO 3 dB)"
DEFAULT_NAME = "semcom_demo.png"
IMAGE_FORMATS = (".png", ".jpg", ".jpeg", ".pdf", ".svg")


def demo_links(channel: str = "awgn") -> dict:
    """The links the demo compares, by title."""
    ofdm = OFDMLink(LinkConfig(ofdm=ofdm_for("2x2x1"), channel="multipath", precoding="svd", pa="rapp",
                               ibo_db=3.0, estimator="lmmse", equalizer="lmmse"))
    return {f"flat {channel.upper()}": make_channel(channel), OFDM_DEMO: ofdm}


def model_for_link(name: str, title: str) -> str:
    """The zoo model used for ``name`` on the link ``title``: its beamforming fine-tune on the OFDM link."""
    tuned = f"{name}-tdla-bf"
    return tuned if title == OFDM_DEMO and tuned in index() else name


def output_path(out: str | Path) -> Path:
    """Where the PNG goes: ``DIR/`` or an existing folder -> ``DIR/semcom_demo.png``; a name without
    a suffix gets ``.png``. Refuses formats matplotlib would not write, before any work."""
    path = Path(out)
    if str(out).endswith(("/", "\\")) or path.is_dir():
        path = path / DEFAULT_NAME
    elif not path.suffix:
        path = path.with_suffix(".png")
    if path.suffix.lower() not in IMAGE_FORMATS:
        raise ValueError(f"--out {out}: the demo writes an image ({', '.join(IMAGE_FORMATS)}), "
                         f"not {path.suffix!r}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"--out {out}: cannot create folder {path.parent}: {exc.strerror}") from exc
    return path


def run_demo(models=("cnn", "vit"), snrs_db=(0, 5, 10, 15, 20), channel: str = "awgn",
             out: str = f"runs/{DEFAULT_NAME}", data=None, seed: int = 0, show_images: int = 4,
             photo: str | Path | None = None) -> dict:
    """Run the demo; returns ``{link: {model: {"ratio": k/n, snr: mean PSNR, …}}}``, with the photo's
    table under ``"photo <name>"`` when ``photo`` (an image file) is given."""
    if not models:
        raise ValueError("--models is empty: name at least one zoo model")
    path = output_path(out)
    images = load_images(data if data is not None else sample_images_dir(), "test")
    picture = load_images(photo, "test") if photo is not None else None  # checked before any work
    links = demo_links(channel)
    loaded = {name: load_model(name) for title in links for name in {model_for_link(m, title) for m in models}}
    results: dict = {}
    received: dict = {}
    t0 = time.time()
    for title, link in links.items():
        table = results.setdefault(title, {})
        for base in models:
            name = model_for_link(base, title)
            model = loaded[name]
            model.warn_if_outside_snr_range(snrs_db)
            table[name] = {"ratio": str(model.ratio)}
            for snr in snrs_db:
                x_hat = _send(model, images, snr, link, seed)
                table[name][snr] = float(np.mean([float(psnr(to_tensor(a[None]), to_tensor(b[None])))
                                                  for a, b in zip(x_hat, images.images)]))
                if title == OFDM_DEMO:
                    received[(base, snr)] = x_hat
        _print_table(table, snrs_db, title, len(images))
    crops = _send_photo(picture, models, snrs_db, next(iter(links.items())), seed, results) if picture else None
    print(f"({time.time() - t0:.1f} s on {torch.get_num_threads()} CPU threads)")
    _write_png(path, images, received, models, snrs_db, show_images, crops)
    print(f"wrote {path} (received over {OFDM_DEMO})")
    return results


def _send_photo(picture: ImageSet, models, snrs_db, link: tuple, seed: int, results: dict) -> list:
    """The whole photo over the flat ``link`` (title, channel) with each model's photo model; adds its
    PSNR table to ``results`` and returns the panels of the PNG's photo row: [(title, crop), …]."""
    title, channel = link
    image, name = picture.images[0], picture.names[0]
    table = results.setdefault(f"photo {name}", {})
    panels = [(f"{name} (crop)", crop(image))]
    for base in models:
        pm = photo_model(base)
        model = load_model(pm)
        table[pm] = {"ratio": str(model.ratio)}
        for snr in snrs_db:
            x_hat = _send(model, picture, snr, channel, seed)[0]
            table[pm][snr] = float(psnr(to_tensor(x_hat[None]), to_tensor(image[None])))
            panels.append((f"{pm} {snr:g} dB", crop(x_hat)))
    h, w = image.shape[:2]
    _print_table(table, snrs_db, f"{name} {w}x{h} (whole photo), {title}", 1)
    return panels


def _send(model, images: ImageSet, snr: float, link, seed: int) -> list[np.ndarray]:
    """Every image through ``model`` and ``link`` (batched per image size) -> uint8 [H, W, 3] each."""
    by_size: dict = {}
    for i, im in enumerate(images.images):
        by_size.setdefault(im.shape, []).append(i)
    out: list = [None] * len(images)
    for idx in by_size.values():
        torch.manual_seed(seed)
        x = to_tensor(np.stack([images.images[i] for i in idx]))
        x_hat = to_uint8(transmit(model, x, snr, link, generator=torch.Generator().manual_seed(seed)))
        for i, im in zip(idx, x_hat):
            out[i] = im
    return out


def _print_table(table: dict, snrs_db, title: str, n: int) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"Mean PSNR (dB) over {n} image{'' if n == 1 else 's'}: {title}")
    t.add_column("model")
    t.add_column("k/n")
    for snr in snrs_db:
        t.add_column(f"{snr:g} dB", justify="right")
    for name, row in table.items():
        t.add_row(name, row["ratio"], *(f"{row[s]:.2f}" for s in snrs_db))
    Console().print(t)


def _write_png(path: Path, images: ImageSet, received: dict, models, snrs_db, show: int,
               photo_row: list | None = None) -> None:
    """Rows of tiles (original, then each model at each SNR over the OFDM link) and, below them, the
    photo row (its crop, then each photo model at each SNR over the flat link) when given."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = min(show, len(images))
    grid = [[("original", images.images[r])] + [(f"{m} {s:g} dB", received[(m, s)][r])
                                                  for m in models for s in snrs_db] for r in range(rows)]
    grid += [photo_row] if photo_row else []
    cols = len(grid[0])
    fig, axes = plt.subplots(len(grid), cols, figsize=(1.3 * cols, 1.45 * len(grid) + 0.3), squeeze=False)
    for r, panels in enumerate(grid):
        for c, (title, im) in enumerate(panels):
            ax = axes[r, c]
            ax.imshow(np.asarray(im), interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0 or r == rows:
                ax.set_title(title, fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)

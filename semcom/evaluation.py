"""Evaluation of a JSCC model over a flat channel: PSNR, SSIM (and MS-SSIM on
images large enough) per SNR, averaged per image. Noise is seeded, so a run is
repeatable."""

from __future__ import annotations

import sys

import torch

from phy.channels import make_channel

from .data import ImageSet, iter_batches, load_images, to_tensor
from .metrics import ms_ssim, psnr, ssim
from .models.base import JSCCModel


@torch.no_grad()
def transmit(model, x: torch.Tensor, snr_db: float, channel, generator=None) -> torch.Tensor:
    """Send a batch through ``model`` (a JSCC model or a :class:`semcom.runtime.Codec`) and ``channel``
    at one SNR. :output: x_hat [B,3,H,W]."""
    snr = torch.full((x.shape[0],), float(snr_db), device=x.device)
    s = model.encode(x, snr)
    out = channel(s, snr, generator=generator)
    return model.decode(out.decoder_symbols, out.snr_eff_db, x.shape[2:])


def evaluate(model: JSCCModel, data, snrs_db, channel: str = "awgn", limit: int | None = None,
             batch_size: int = 250, seed: int = 0, progress: bool = False, codec=None, device=None) -> list[dict]:
    """Rows ``{"snr_db", "psnr_db", "ssim", "ms_ssim", "n_images"}``, one per SNR.

    ``data`` is a path (the test split is used) or an :class:`ImageSet`; ``codec`` (a
    :class:`semcom.runtime.Codec`, default the model itself) runs the encoder and decoder, on
    ``device`` (the model's device; the noise is drawn on the CPU, so results match across devices).
    """
    images = data if isinstance(data, ImageSet) else load_images(data, "test")
    images = images.subset(limit)
    ch = make_channel(channel)
    model.eval()
    rows = []
    bar = _bar(len(snrs_db) * len(images), progress)
    for snr in snrs_db:
        gen = torch.Generator().manual_seed(seed)
        p, s, m = [], [], []
        for _, batch in iter_batches(images, batch_size):
            x = to_tensor(batch, device)
            x_hat = transmit(codec or model, x, snr, ch, generator=gen)
            p.append(psnr(x_hat, x))
            s.append(ssim(x_hat, x))
            ms = ms_ssim(x_hat, x)
            if ms is not None:
                m.append(ms)
            if bar is not None:
                bar.update(x.shape[0])
        rows.append({"snr_db": float(snr), "psnr_db": round(float(torch.cat(p).mean()), 4),
                     "ssim": round(float(torch.cat(s).mean()), 5),
                     "ms_ssim": round(float(torch.cat(m).mean()), 5) if len(m) and sum(map(len, m)) == len(images) else None,
                     "n_images": len(images)})
    if bar is not None:
        bar.close()
    return rows


def format_table(rows: list[dict]) -> str:
    lines = ["SNR (dB)  PSNR (dB)   SSIM    MS-SSIM  images"]
    for r in rows:
        ms = f"{r['ms_ssim']:.4f}" if r.get("ms_ssim") is not None else "   -  "
        lines.append(f"{r['snr_db']:8.1f}  {r['psnr_db']:9.2f}  {r['ssim']:.4f}  {ms:>7s}  {r['n_images']:6d}")
    return "\n".join(lines)


def _bar(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="eval", unit="img", file=sys.stderr, leave=False)

"""PAPR of the learned symbols over OFDM, against Gaussian symbols (symbol tails drive PAPR).

Each model's symbols go through the SISO MIMO-OFDM transmitter of the project
(:class:`semcom.link.OFDMLink`, seed numerology, no PA); the PAPR of every OFDM
symbol is measured 4x oversampled, the CCDF is drawn, and the PAPR exceeded with
probability 1e-3 is compared with (a) i.i.d. complex Gaussian symbols of the same
shape through the same transmitter and (b) the Nyquist-rate Gaussian
approximation 1 - (1 - e^-g)^N for the N used subcarriers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from phy.channels import complex_normal
from phy.papr import ccdf, papr_at_ccdf, papr_db, papr_gaussian_at_ccdf

from .common import batches, load_analysis_images, load_models, pyplot, save_figure, write_csv

OVERSAMPLING = 4
PROBABILITY = 1e-3
THRESHOLDS_DB = np.round(np.arange(3.0, 13.01, 0.25), 2)


def ofdm_transmitter():
    """The SISO OFDM link whose transmitted waveform is measured (AWGN, time domain, no PA)."""
    from ..link import LinkConfig, OFDMLink, ofdm_for

    return OFDMLink(LinkConfig(ofdm=ofdm_for("1x1"), channel="awgn"))


@torch.no_grad()
def transmitted_papr(link, s: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """PAPR (dB) of each OFDM symbol carrying ``s`` [B, k]. :output: [B * T]."""
    o = link.cfg.ofdm
    out = link(s, torch.full((s.shape[0],), 30.0), generator=generator)
    return papr_db(out.tx_signal, o.symbol_length, o.cp_length, oversampling=OVERSAMPLING).flatten()


def analyze_papr(models: list[str], data: str | None, snrs: list[float], out: Path, limit: int | None = None,
                 crop: int | None = None, batch_size: int = 100, progress: bool = True) -> dict:
    """Per model and SNR: PAPR at CCDF 1e-3 of the learned and of Gaussian symbols. Writes
    ``papr.csv`` (CCDF per threshold) and ``papr.png``."""
    images = load_analysis_images(data, limit, crop)
    link = ofdm_transmitter()
    used = len(link.cfg.ofdm.used_subcarriers)
    theory = papr_gaussian_at_ccdf(PROBABILITY, used)
    rows, curves = [], []
    for name, model in load_models(models).items():
        for snr in snrs:
            gen = torch.Generator().manual_seed(0)
            learned, gaussian = [], []
            for x in batches(images, batch_size, progress, f"{name} {snr:g} dB"):
                s = model.encode(x, snr)
                learned.append(transmitted_papr(link, s, gen))
                gaussian.append(transmitted_papr(link, complex_normal(s.shape, 1.0, generator=gen), gen))
            learned, gaussian = torch.cat(learned), torch.cat(gaussian)
            rows.append({"model": name, "snr_db": snr, "papr_db_1e-3": round(papr_at_ccdf(learned, PROBABILITY), 3),
                         "gaussian_papr_db_1e-3": round(papr_at_ccdf(gaussian, PROBABILITY), 3),
                         "theory_papr_db_1e-3": round(theory, 3), "ofdm_symbols": learned.numel(),
                         "used_subcarriers": used})
            for th, c_l, c_g in zip(THRESHOLDS_DB, ccdf(learned, THRESHOLDS_DB), ccdf(gaussian, THRESHOLDS_DB)):
                curves.append({"model": name, "snr_db": snr, "threshold_db": float(th), "ccdf": float(c_l),
                               "ccdf_gaussian_symbols": float(c_g)})
    write_csv(out / "papr.csv", curves)
    plot_papr(rows, curves, used, out / "papr.png")
    return {"analysis": "papr", "n_images": len(images), "oversampling": OVERSAMPLING, "rows": rows}


def plot_papr(rows: list[dict], curves: list[dict], used: int, path: Path) -> None:
    from phy.papr import ccdf_gaussian

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for key in dict.fromkeys((c["model"], c["snr_db"]) for c in curves):
        mine = [c for c in curves if (c["model"], c["snr_db"]) == key]
        ax.semilogy([c["threshold_db"] for c in mine], [max(c["ccdf"], 1e-6) for c in mine],
                    label=f"{key[0]}, {key[1]:g} dB")
    first = [c for c in curves if (c["model"], c["snr_db"]) == (curves[0]["model"], curves[0]["snr_db"])]
    ax.semilogy([c["threshold_db"] for c in first], [max(c["ccdf_gaussian_symbols"], 1e-6) for c in first], "k--",
                label=f"Gaussian symbols, {OVERSAMPLING}x oversampled")
    ax.semilogy(THRESHOLDS_DB, ccdf_gaussian(THRESHOLDS_DB, used), "k:", label=f"1-(1-e^-g)^N, N={used}")
    ax.axhline(PROBABILITY, color="grey", lw=0.8)
    ax.set(xlabel="PAPR threshold (dB)", ylabel="CCDF Pr(PAPR > threshold)", ylim=(1e-4, 1.1),
           title="PAPR of the learned symbols over OFDM")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    save_figure(fig, path)

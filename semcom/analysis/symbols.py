"""The distribution of the learned channel symbols (source-channel equilibrium
paper, Yoo et al., arXiv 2512.14022): a Student's-t fit per model and SNR.

The encoder's unit-power complex symbols are split into real and imaginary parts
and scaled to unit variance (:func:`phy.prior.standardized_components`); a
Student's t (location 0) is fitted by maximum likelihood
(:func:`phy.prior.fit_student_t`). Reported: nu, scale, excess kurtosis, and the
Kolmogorov-Smirnov distance to the unit Gaussian and to the fitted t. The paper
predicts nu from the data set's entropy variability, so each data set's
per-image entropy (first-order, of the 8-bit luma histogram) is reported beside it.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from phy.prior import fit_student_t, standardized_components, student_t_logpdf

from .common import batches, load_analysis_images, load_models, pyplot, save_figure, write_csv


def excess_kurtosis(x: torch.Tensor) -> float:
    """``E[(x - m)^4] / var^2 - 3``: 0 for a Gaussian, 6 / (nu - 4) for a Student's t with nu > 4."""
    x = torch.as_tensor(x, dtype=torch.float64).flatten()
    d = x - x.mean()
    return float(d.pow(4).mean() / d.square().mean().square() - 3.0)


def ks_distance(x: torch.Tensor, cdf) -> float:
    """Kolmogorov-Smirnov distance ``sup |F_n(t) - F(t)|`` between samples and a CDF (a callable on tensors)."""
    x = torch.sort(torch.as_tensor(x, dtype=torch.float64).flatten()).values
    n = x.numel()
    f = cdf(x)
    i = torch.arange(1, n + 1, dtype=torch.float64)
    return float(torch.maximum(i / n - f, f - (i - 1) / n).max())


def gaussian_cdf(std: float):
    return lambda x: torch.special.ndtr(x / std)


def student_t_cdf(nu: float, scale: float, half_width: float = 1e4, points: int = 400001):
    """The CDF of a Student's t (location 0), integrated numerically from its pdf on a
    grid uniform in ``asinh`` (fine near 0, reaching +-half_width scales)."""
    u = torch.linspace(-math.asinh(half_width), math.asinh(half_width), points, dtype=torch.float64)
    z = torch.sinh(u)
    density = torch.exp(student_t_logpdf(z, nu, 1.0)) * torch.cosh(u)  # pdf(z) dz/du
    cdf = torch.cat([torch.zeros(1, dtype=torch.float64),
                     torch.cumsum(0.5 * (density[1:] + density[:-1]) * (u[1] - u[0]), 0)])
    cdf = cdf / cdf[-1]

    def f(x: torch.Tensor) -> torch.Tensor:
        q = torch.asinh((x / scale).clamp(-half_width, half_width))
        idx = torch.searchsorted(u, q).clamp(1, points - 1)
        w = (q - u[idx - 1]) / (u[idx] - u[idx - 1])
        return (cdf[idx - 1] * (1 - w) + cdf[idx] * w).clamp(0.0, 1.0)
    return f


def describe_symbols(components: torch.Tensor) -> dict:
    """Student's-t fit and distances of standardized real components [N]."""
    x = torch.as_tensor(components, dtype=torch.float64).flatten()
    fit = fit_student_t(x)
    std = float(x.std())
    return {"nu": round(fit["nu"], 3), "scale": round(fit["scale"], 4), "kurtosis": round(excess_kurtosis(x), 4),
            "ks_gaussian": round(ks_distance(x, gaussian_cdf(std)), 5),
            "ks_student_t": round(ks_distance(x, student_t_cdf(fit["nu"], fit["scale"])), 5),
            "loglik_gain": round(fit["loglik"] - fit["gaussian_loglik"], 5), "n_samples": x.numel()}


def image_entropy_bits(images: np.ndarray) -> float:
    """First-order entropy (bits per pixel) of one uint8 RGB image's luma histogram."""
    luma = np.asarray(images, dtype=np.float64) @ np.array([0.299, 0.587, 0.114])
    p = np.bincount(np.clip(np.rint(luma), 0, 255).astype(np.int64).ravel(), minlength=256) / luma.size
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


@torch.no_grad()
def encode_all(model, images, snr_db: float, batch_size: int, progress: bool, desc: str) -> list[torch.Tensor]:
    """Standardized real components of each image's symbols at ``snr_db``: one [2k] tensor per image."""
    return [standardized_components(s[None]) for x in batches(images, batch_size, progress, desc)
            for s in model.encode(x, snr_db)]


def bootstrap_nu(per_image: list[torch.Tensor], resamples: int, seed: int = 0) -> tuple[float, float]:
    """5 % and 95 % points of nu fitted to ``resamples`` resamplings of the images (with replacement):
    symbols of one image are not independent, so images are the unit that is resampled."""
    rng = np.random.default_rng(seed)
    nus = [fit_student_t(torch.cat([per_image[i] for i in rng.integers(len(per_image), size=len(per_image))]))["nu"]
           for _ in range(resamples)]
    return float(np.percentile(nus, 5)), float(np.percentile(nus, 95))


def analyze_symbols(models: list[str], data: str | None, snrs: list[float], out: Path, limit: int | None = None,
                    crop: int | None = None, batch_size: int = 100, bootstrap: int = 0, progress: bool = True) -> dict:
    """Per model and SNR: nu, scale, kurtosis, KS distances (with ``bootstrap`` > 0 also a 90 %
    interval of nu over resampled images). Writes ``symbols.csv`` and ``symbols.png``
    (histogram of the components against the Gaussian and the fitted t; nu against SNR)."""
    if bootstrap < 0:
        raise ValueError(f"--bootstrap must be >= 0, got {bootstrap}")
    images = load_analysis_images(data, limit, crop)
    entropies = [image_entropy_bits(im) for im in images.images]
    dataset = {"n_images": len(images), "entropy_bits_mean": round(float(np.mean(entropies)), 4),
               "entropy_bits_std": round(float(np.std(entropies)), 4)}
    rows, samples = [], {}
    for name, model in load_models(models).items():
        for snr in snrs:
            per_image = encode_all(model, images, snr, batch_size, progress, f"{name} {snr:g} dB")
            samples[(name, snr)] = x = torch.cat(per_image)
            row = {"model": name, "snr_db": snr, **describe_symbols(x)}
            if bootstrap:
                row["nu_5pct"], row["nu_95pct"] = (round(v, 3) for v in bootstrap_nu(per_image, bootstrap))
            rows.append(row)
    write_csv(out / "symbols.csv", [{**r, **dataset} for r in rows])
    plot_symbols(rows, samples, out / "symbols.png")
    return {"analysis": "symbols", "data": str(data), **dataset, "rows": rows}


def plot_symbols(rows: list[dict], samples: dict, path: Path) -> None:
    """Log-density histograms of the components of each model (first SNR), with the unit
    Gaussian and the fitted Student's t; last panel: nu against SNR per model."""
    plt = pyplot()
    models = list(dict.fromkeys(r["model"] for r in rows))
    fig, axes = plt.subplots(1, len(models) + 1, figsize=(4.5 * (len(models) + 1), 4), squeeze=False)
    z = torch.linspace(-8, 8, 401, dtype=torch.float64)
    for model in models:
        mine = [r for r in rows if r["model"] == model]
        axes[0, -1].plot([r["snr_db"] for r in mine], [r["nu"] for r in mine], marker="o", label=model)
    axes[0, -1].set(xlabel="SNR (dB)", ylabel="Student's-t nu (degrees of freedom)",
                    title="fitted nu (smaller: heavier tails)")
    axes[0, -1].grid(alpha=0.3, which="both")
    axes[0, -1].legend(fontsize=8)
    for ax, model in zip(axes[0], models):
        r = next(r for r in rows if r["model"] == model)
        x = samples[(model, r["snr_db"])].numpy()
        ax.hist(x, bins=161, range=(-8, 8), density=True, alpha=0.5, label="symbols (I and Q)")
        ax.plot(z, torch.exp(-0.5 * z * z) / math.sqrt(2 * math.pi), "k--", label="Gaussian")
        ax.plot(z, torch.exp(student_t_logpdf(z, r["nu"], r["scale"])), "r",
                label=f"Student's t, nu = {r['nu']:.2g}")
        ax.set(yscale="log", ylim=(1e-5, 1), xlabel="standardized symbol component (unit variance)",
               ylabel="probability density", title=f"{model}, {r['snr_db']:g} dB, kurtosis {r['kurtosis']:.2f}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    save_figure(fig, path)

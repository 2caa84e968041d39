"""The distribution of learned channel symbols: a Student's-t fit and a
regulariser toward a target prior.

Learned JSCC symbols tend to be heavy-tailed (Student's t with small nu). The
regulariser pulls the empirical distribution of the real components (I and Q,
scaled to unit variance) toward a Gaussian or a Student's t with a set nu,
using the squared 1-D Wasserstein-2 distance between sorted samples and the
target's quantiles; it is differentiable through the sort.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def standardized_components(s: torch.Tensor) -> torch.Tensor:
    """Real and imaginary parts of unit-power complex symbols, scaled to unit variance. [..., k] -> [N]."""
    return torch.cat([s.real.flatten(), s.imag.flatten()]) * math.sqrt(2.0)


def student_t_logpdf(x: torch.Tensor, nu: float, scale: torch.Tensor | float) -> torch.Tensor:
    scale = torch.as_tensor(scale, dtype=x.dtype)
    z = x / scale
    return (math.lgamma((nu + 1) / 2) - math.lgamma(nu / 2) - 0.5 * math.log(nu * math.pi)
            - torch.log(scale) - (nu + 1) / 2 * torch.log1p(z * z / nu))


def fit_student_t(x: torch.Tensor, nus=None, iterations: int = 30) -> dict:
    """Maximum-likelihood Student's-t fit (location 0) of real samples.

    For each nu on a log grid (1..200) the scale comes from the EM fixed point
    ``sigma^2 = mean(w x^2)``, ``w = (nu + 1) / (nu + x^2 / sigma^2)``; the nu
    with the highest likelihood wins. Returns ``{"nu", "scale", "loglik",
    "gaussian_loglik"}`` (mean log-likelihood per sample).
    """
    x = torch.as_tensor(x, dtype=torch.float64).flatten()
    if x.numel() < 10 or not torch.isfinite(x).all():
        raise ValueError("fit_student_t needs at least 10 finite samples")
    nus = torch.logspace(0, math.log10(200), 60, dtype=torch.float64) if nus is None else torch.as_tensor(nus)
    best = None
    x2 = x * x
    for nu in nus.tolist():
        var = x2.mean()
        for _ in range(iterations):
            w = (nu + 1) / (nu + x2 / var)
            var = (w * x2).mean()
        ll = float(student_t_logpdf(x, nu, var.sqrt()).mean())
        if best is None or ll > best["loglik"]:
            best = {"nu": nu, "scale": float(var.sqrt()), "loglik": ll}
    sigma2 = float(x2.mean())
    best["gaussian_loglik"] = -0.5 * math.log(2 * math.pi * sigma2) - 0.5
    return best


def _target_quantile_table(target: str, nu: float, size: int = 4097) -> tuple[torch.Tensor, torch.Tensor]:
    """(probabilities, quantiles) of the unit-variance target on a fine grid."""
    p = torch.linspace(0.0, 1.0, size, dtype=torch.float64)[1:-1]
    if target == "gaussian":
        return p, torch.special.ndtri(p)
    # Student's t: invert the CDF, integrated numerically from the pdf on a wide grid
    grid = torch.linspace(-400.0, 400.0, 800001, dtype=torch.float64)
    pdf = torch.exp(student_t_logpdf(grid, nu, 1.0))
    cdf = torch.cumsum(pdf, 0) * (grid[1] - grid[0])
    cdf = cdf / cdf[-1]
    idx = torch.searchsorted(cdf, p).clamp(1, len(grid) - 1)
    c0, c1 = cdf[idx - 1], cdf[idx]
    q = grid[idx - 1] + (p - c0) / (c1 - c0).clamp_min(1e-300) * (grid[idx] - grid[idx - 1])
    return p, q / math.sqrt(nu / (nu - 2))  # unit variance


class PriorRegularizer(nn.Module):
    """Squared Wasserstein-2 distance between the symbols' standardized I/Q
    components and a target prior.

    :param target: ``gaussian`` or ``student-t``.
    :param nu: degrees of freedom of the Student's-t target (> 2, so it has a variance).
    :input s: [batch, k], complex, unit average power.
    :output: scalar, >= 0.
    """

    def __init__(self, target: str = "gaussian", nu: float = 5.0):
        super().__init__()
        if target not in ("gaussian", "student-t"):
            raise ValueError(f"target must be 'gaussian' or 'student-t', got {target!r}")
        if target == "student-t" and not nu > 2:
            raise ValueError(f"nu must be > 2 for a unit-variance Student's t, got {nu}")
        self.target, self.nu = target, float(nu)
        p, q = _target_quantile_table(target, self.nu)
        self.register_buffer("p", p.float(), persistent=False)
        self.register_buffer("q", q.float(), persistent=False)

    def quantiles(self, n: int) -> torch.Tensor:
        """Target quantiles at probabilities (i - 0.5) / n, i = 1..n."""
        u = (torch.arange(n, device=self.p.device, dtype=torch.float32) + 0.5) / n
        idx = torch.searchsorted(self.p, u).clamp(1, len(self.p) - 1)
        p0, p1 = self.p[idx - 1], self.p[idx]
        w = ((u - p0) / (p1 - p0)).clamp(0, 1)
        return self.q[idx - 1] * (1 - w) + self.q[idx] * w

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        x = torch.sort(standardized_components(s)).values
        return (x - self.quantiles(x.numel()).to(x.dtype)).square().mean()

"""Power-amplifier models on complex baseband, set by input back-off (IBO).

Every model is memoryless AM/AM (+ AM/PM) except the memory polynomial. The
amplifier's input saturation power is 1 (amplitude 1). A block first scales
its input so that the mean input power (over the last dimension) is
``10^(-IBO/10)``, applies the curve, then undoes that scale, so that a linear
amplifier is the identity and compression shows as distortion and power loss.

Closed-form curves (``r`` = input amplitude, saturation amplitude 1):

- Rapp (SSPA):      A(r) = r / (1 + r^(2p))^(1/(2p)),           Phi = 0
- Saleh (TWTA):     A(r) = a_a r / (1 + b_a r^2),  Phi(r) = a_p r^2 / (1 + b_p r^2)
- soft limiter:     A(r) = min(r, 1),                           Phi = 0
"""

from __future__ import annotations

import torch
from torch import nn

MAX_IBO_DB = 40.0


def rapp_am_am(r: torch.Tensor, smoothness: float, saturation: float = 1.0) -> torch.Tensor:
    """Rapp AM/AM: ``r / (1 + (r/A_sat)^(2p))^(1/(2p))``, evaluated as
    ``r * exp(-softplus(2p log(r/A_sat)) / 2p)`` so that large p cannot overflow."""
    two_p = 2.0 * smoothness
    log_t = torch.log((r / saturation).clamp_min(1e-30))
    return r * torch.exp(-torch.nn.functional.softplus(two_p * log_t, threshold=30.0) / two_p)


def saleh_am_am(r: torch.Tensor, alpha: float = 2.1587, beta: float = 1.1517) -> torch.Tensor:
    """Saleh AM/AM ``alpha r / (1 + beta r^2)`` (defaults: Saleh 1981 TWTA fit)."""
    return alpha * r / (1.0 + beta * r ** 2)


def saleh_am_pm(r: torch.Tensor, alpha: float = 4.0033, beta: float = 9.1040) -> torch.Tensor:
    """Saleh AM/PM in radians ``alpha r^2 / (1 + beta r^2)``."""
    return alpha * r ** 2 / (1.0 + beta * r ** 2)


class PowerAmplifier(nn.Module):
    """Base: IBO scaling around a memoryless curve.

    :input x: [..., samples], complex.
    :output: [..., samples], complex.
    """

    def __init__(self, ibo_db: float):
        super().__init__()
        ibo_db = float(ibo_db)
        if not -10.0 <= ibo_db <= MAX_IBO_DB:
            raise ValueError(f"ibo_db must be in -10..{MAX_IBO_DB} dB, got {ibo_db}")
        self.ibo_db = ibo_db

    def curve(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not x.is_complex():
            raise TypeError("PA input must be complex baseband")
        power = x.real.square().add(x.imag.square()).mean(dim=-1, keepdim=True).clamp_min(1e-20)
        scale = torch.sqrt(10.0 ** (-self.ibo_db / 10.0) / power)
        return self.curve(x * scale) / scale


def _polar(x: torch.Tensor, amplitude: torch.Tensor, phase: torch.Tensor | None = None) -> torch.Tensor:
    r = x.abs()
    unit = x / r.clamp_min(1e-20)
    if phase is not None:
        unit = unit * torch.polar(torch.ones_like(phase), phase)
    return unit * amplitude


class RappPA(PowerAmplifier):
    """Solid-state PA (Rapp) with smoothness ``p`` (p -> inf: soft limiter)."""

    def __init__(self, ibo_db: float, smoothness: float = 3.0):
        super().__init__(ibo_db)
        if smoothness <= 0:
            raise ValueError(f"smoothness must be > 0, got {smoothness}")
        self.smoothness = float(smoothness)

    def curve(self, x):
        return _polar(x, rapp_am_am(x.abs(), self.smoothness))


class SalehPA(PowerAmplifier):
    """Travelling-wave tube PA (Saleh), with AM/PM. The curve peaks at
    r = 1/sqrt(beta_a); input amplitudes are normalised so that this peak is
    the saturation point (amplitude 1)."""

    def __init__(self, ibo_db: float, alpha_a=2.1587, beta_a=1.1517, alpha_p=4.0033, beta_p=9.1040):
        super().__init__(ibo_db)
        self.params = (alpha_a, beta_a, alpha_p, beta_p)
        self.r_sat = beta_a ** -0.5

    def curve(self, x):
        a_a, b_a, a_p, b_p = self.params
        r = x.abs() * self.r_sat  # saturation amplitude 1 -> Saleh's r_sat
        amp = saleh_am_am(r, a_a, b_a) / (a_a * self.r_sat)  # small-signal gain 1, input-referred
        return _polar(x, amp, saleh_am_pm(r, a_p, b_p))


class SoftLimiter(PowerAmplifier):
    """Ideal clipper: linear up to amplitude 1, flat above."""

    def curve(self, x):
        return _polar(x, x.abs().clamp_max(1.0))


class MemoryPolynomialPA(PowerAmplifier):
    """``y[n] = sum_k sum_m a[k, m] x[n-m] |x[n-m]|^(k-1)`` over odd orders k.

    :param coefficients: complex [num_orders, memory_depth]; row i is order 2i+1.
        The default is a mildly compressive 3-tap PA in the style of Ding et al.
    """

    DEFAULT = ((1.0513 + 0.0904j, -0.0680 - 0.0023j, 0.0289 - 0.0054j),
               (-0.0542 - 0.2900j, 0.2234 + 0.2317j, -0.0621 - 0.0932j),
               (-0.9657 - 0.7028j, -0.2451 - 0.3735j, 0.1229 + 0.1508j))

    def __init__(self, ibo_db: float, coefficients=None):
        super().__init__(ibo_db)
        c = torch.as_tensor(coefficients if coefficients is not None else self.DEFAULT, dtype=torch.complex64)
        if c.dim() != 2:
            raise ValueError(f"coefficients must be [orders, memory], got shape {tuple(c.shape)}")
        self.register_buffer("coefficients", c, persistent=False)

    def curve(self, x):
        orders, depth = self.coefficients.shape
        y = torch.zeros_like(x)
        r = x.abs()
        for m in range(depth):
            xm = torch.nn.functional.pad(x, (m, 0))[..., : x.shape[-1]]
            rm = torch.nn.functional.pad(r, (m, 0))[..., : x.shape[-1]]
            for k in range(orders):
                y = y + self.coefficients[k, m] * xm * rm ** (2 * k)
        return y


PA_MODELS = {"rapp": RappPA, "saleh": SalehPA, "soft-limiter": SoftLimiter, "memory-polynomial": MemoryPolynomialPA}
PA_NAMES = ("none", *PA_MODELS)  # what a link, a sweep or a GNU Radio block may name


def make_pa(name: str, ibo_db: float = 6.0, **kwargs) -> nn.Module:
    """One of :data:`PA_NAMES`: ``none`` (linear), ``rapp``, ``saleh``, ``soft-limiter`` or ``memory-polynomial``."""
    if name == "none":
        return nn.Identity()
    if name not in PA_MODELS:
        raise ValueError(f"unknown PA model {name!r}; choose one of {', '.join(PA_NAMES)}")
    return PA_MODELS[name](ibo_db, **kwargs)

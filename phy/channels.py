"""Differentiable flat channels for training: AWGN and Rayleigh block fading.

All channels take unit-power complex symbols and an SNR per batch element
(Es/N0 in dB, with Es = 1) and return the equalised symbols together with the
effective SNR the receiver sees, so an SNR-conditioned decoder can use it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class ChannelOutput:
    """What the receiver has after a flat channel and one-tap equalisation.

    :param s_hat: [batch, k], complex: equalised symbols.
    :param snr_eff_db: [batch], real: post-equalisation SNR in dB.
    :param noise_var: [batch, k] or None: per-symbol effective noise variance.
    :param tx_signal: [batch, tx_ant, samples] or None: transmitted time signal (for PAPR).
    """

    s_hat: torch.Tensor
    snr_eff_db: torch.Tensor
    noise_var: torch.Tensor | None = None
    tx_signal: torch.Tensor | None = None

    @property
    def decoder_symbols(self) -> torch.Tensor:
        """What a JSCC decoder gets: ``s_hat`` weighted by each symbol's reliability
        (see :func:`reliability_weighted`); ``s_hat`` itself when all symbols are equally reliable."""
        return self.s_hat if self.noise_var is None else reliability_weighted(self.s_hat, self.noise_var)


def reliability_weighted(s_hat: torch.Tensor, noise_var: torch.Tensor) -> torch.Tensor:
    """Relative MMSE weighting of unbiased symbol estimates.

    For a unit-power Gaussian symbol seen with noise variance v, the MMSE estimate
    is ``s_hat / (1 + v)``. Dividing by the frame's mean shrinkage ``1 / (1 + mean v)``
    keeps the scale a decoder trained on a flat channel expects (on a flat channel
    this is the identity) while symbols in deep fades are pulled towards zero
    instead of carrying amplified noise.

    :input s_hat: [batch, k] complex. :input noise_var: [batch, k] real, > 0.
    :output: [batch, k] complex.
    """
    return s_hat * ((1.0 + noise_var.mean(dim=1, keepdim=True)) / (1.0 + noise_var))


def noise_variance(snr_db: torch.Tensor) -> torch.Tensor:
    """N0 for unit symbol energy: ``10 ** (-snr_db / 10)``."""
    return torch.pow(10.0, -snr_db / 10.0)


def complex_normal(shape, variance: torch.Tensor | float, *, device=None, generator=None) -> torch.Tensor:
    """Circularly-symmetric complex Gaussian samples CN(0, variance) on ``device``.

    A ``generator`` draws on its own device and the samples move to ``device``, so a seeded
    CPU generator gives the same noise whichever device the link runs on."""
    draw_on = generator.device if generator is not None else device
    re = torch.randn(shape, device=draw_on, generator=generator)
    im = torch.randn(shape, device=draw_on, generator=generator)
    return torch.complex(re, im).to(device) * torch.sqrt(torch.as_tensor(variance, device=device) / 2.0)


def _check_inputs(s: torch.Tensor, snr_db: torch.Tensor) -> torch.Tensor:
    if not s.is_complex() or s.dim() != 2:
        raise ValueError(f"channel input must be complex [batch, k], got {tuple(s.shape)} {s.dtype}")
    snr_db = torch.as_tensor(snr_db, dtype=torch.float32, device=s.device)
    if snr_db.dim() == 0:
        snr_db = snr_db.expand(s.shape[0])
    if snr_db.shape != (s.shape[0],):
        raise ValueError(f"snr_db must be a scalar or [batch]={s.shape[0]}, got {tuple(snr_db.shape)}")
    if not torch.isfinite(snr_db).all():
        raise ValueError("snr_db contains NaN or Inf")
    return snr_db


class AWGNChannel(nn.Module):
    """y = s + n with n ~ CN(0, N0), N0 = 10^(-SNR/10).

    :input s: [batch, k], complex, unit average power.
    :input snr_db: [batch] or scalar, real.
    :output: :class:`ChannelOutput` with ``s_hat = y`` and the input SNR.
    """

    def forward(self, s: torch.Tensor, snr_db, generator: torch.Generator | None = None) -> ChannelOutput:
        snr_db = _check_inputs(s, snr_db)
        n0 = noise_variance(snr_db)[:, None]
        y = s + complex_normal(s.shape, n0, device=s.device, generator=generator)
        return ChannelOutput(s_hat=y, snr_eff_db=snr_db)


class RayleighBlockFading(nn.Module):
    """y = h s + n with one h ~ CN(0, 1) per image (a block), ZF-equalised.

    With ``csi="perfect"`` the receiver divides by the true h. With
    ``csi="estimated"`` it uses a least-squares estimate from ``num_pilots``
    unit-power pilots, ``h_hat = h + e`` with ``e ~ CN(0, N0 / num_pilots)``,
    and counts the estimation error as extra noise in the effective SNR.

    :input s: [batch, k], complex, unit average power.
    :input snr_db: [batch] or scalar, real.
    :output: :class:`ChannelOutput`.
    """

    def __init__(self, csi: str = "perfect", num_pilots: int = 4):
        super().__init__()
        if csi not in ("perfect", "estimated"):
            raise ValueError(f"csi must be 'perfect' or 'estimated', got {csi!r}")
        if num_pilots < 1:
            raise ValueError(f"num_pilots must be >= 1, got {num_pilots}")
        self.csi = csi
        self.num_pilots = num_pilots

    def forward(self, s: torch.Tensor, snr_db, generator: torch.Generator | None = None) -> ChannelOutput:
        snr_db = _check_inputs(s, snr_db)
        batch = s.shape[0]
        n0 = noise_variance(snr_db)  # [batch]
        h = complex_normal((batch, 1), 1.0, device=s.device, generator=generator)
        y = h * s + complex_normal(s.shape, n0[:, None], device=s.device, generator=generator)
        if self.csi == "perfect":
            h_hat, err_var = h, torch.zeros_like(n0)
        else:
            err_var = n0 / self.num_pilots
            h_hat = h + complex_normal((batch, 1), err_var[:, None], device=s.device, generator=generator)
        gain = h_hat.abs().square().clamp_min(1e-12)  # [batch, 1]
        s_hat = y * h_hat.conj() / gain
        snr_eff = gain[:, 0] / (n0 + err_var)
        return ChannelOutput(s_hat=s_hat, snr_eff_db=10.0 * torch.log10(snr_eff))


def make_channel(name: str, **kwargs) -> nn.Module:
    """Build a training channel by name: ``awgn``, ``rayleigh`` or ``rayleigh-est``."""
    if name == "awgn":
        return AWGNChannel()
    if name == "rayleigh":
        return RayleighBlockFading(csi="perfect", **kwargs)
    if name == "rayleigh-est":
        return RayleighBlockFading(csi="estimated", **kwargs)
    raise ValueError(f"unknown channel {name!r}; choose awgn, rayleigh or rayleigh-est")


CHANNELS = ("awgn", "rayleigh", "rayleigh-est")

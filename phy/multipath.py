"""Time-domain MIMO multipath: tap generation (torch only) and a batched FIR.

``apply_fir`` is the channel convolution used for every time-domain channel,
including Sionna's TDL/CDL taps (``phy.sionna_channel``), whose own
``ApplyTimeChannel`` it is checked against.
"""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F

from .channels import complex_normal


def exponential_pdp_taps(batch: int, num_rx: int, num_tx: int, num_taps: int, rms_delay_samples: float,
                         generator: torch.Generator | None = None) -> torch.Tensor:
    """i.i.d. Rayleigh taps with an exponential power-delay profile, total power 1 per path.

    :output: [batch, num_rx, num_tx, num_taps], complex64.
    """
    if num_taps < 1:
        raise ValueError(f"num_taps must be >= 1, got {num_taps}")
    if rms_delay_samples <= 0:
        pdp = torch.zeros(num_taps)
        pdp[0] = 1.0
    else:
        pdp = torch.exp(-torch.arange(num_taps, dtype=torch.float32) / rms_delay_samples)
        pdp = pdp / pdp.sum()
    return complex_normal((batch, num_rx, num_tx, num_taps), 1.0, generator=generator) * pdp.sqrt()


def flat_taps(kind: str, batch: int, num_rx: int, num_tx: int, generator=None) -> torch.Tensor:
    """One-tap channels: ``identity`` (AWGN; antenna i to antenna i) or ``rayleigh``.

    :output: [batch, num_rx, num_tx, 1], complex64.
    """
    if kind == "identity":
        h = torch.zeros(batch, num_rx, num_tx, 1, dtype=torch.complex64)
        for i in range(min(num_rx, num_tx)):
            h[:, i, i, 0] = 1.0
        return h
    if kind == "rayleigh":
        return complex_normal((batch, num_rx, num_tx, 1), 1.0, generator=generator)
    raise ValueError(f"unknown flat channel {kind!r}")


def apply_fir(x: torch.Tensor, taps: torch.Tensor) -> torch.Tensor:
    """MIMO FIR channel ``y[r, n] = sum_t sum_l h[r, t, (n,) l] x[t, n - l]``.

    :input x: [batch, num_tx, n], complex.
    :input taps: [batch, num_rx, num_tx, L] (static) or
        [batch, num_rx, num_tx, n + L - 1, L] (time-varying, one set per output sample).
    :output: [batch, num_rx, n + L - 1], complex (the full convolution).
    """
    batch, num_tx, n = x.shape
    length = taps.shape[-1]
    if taps.shape[:3] != (batch, taps.shape[1], num_tx):
        raise ValueError(f"taps {tuple(taps.shape)} do not fit input {tuple(x.shape)}")
    xp = F.pad(x, (length - 1, length - 1))  # [B, tx, n + 2L - 2]
    windows = xp.unfold(-1, length, 1).flip(-1)  # [B, tx, n + L - 1, L]: x[n - l] for l = 0..L-1
    if taps.dim() == 4:
        return torch.einsum("brtl,btnl->brn", taps, windows)
    if taps.shape[3] != n + length - 1:
        raise ValueError(f"time-varying taps need {n + length - 1} time steps, got {taps.shape[3]}")
    return torch.einsum("brtnl,btnl->brn", taps, windows)


def frequency_response(taps: torch.Tensor, fft_size: int, delay_offset: int = 0) -> torch.Tensor:
    """Channel frequency response on a centred subcarrier grid (DC at N/2).

    :input taps: [..., L] static taps, tap l at delay ``l - delay_offset`` samples.
    :output: [..., N], complex.
    """
    h = torch.fft.fft(taps, n=fft_size, dim=-1)
    if delay_offset:
        k = torch.fft.fftfreq(fft_size, device=taps.device) * fft_size
        h = h * torch.exp(2j * math.pi * k * delay_offset / fft_size).to(h.dtype)
    return torch.fft.fftshift(h, dim=-1)

"""Sampling-clock offset (SCO): estimated from the pilots of a frame body, and removed.

When the receiver's sample clock runs ``1 + eps`` times slow relative to the transmitter's,
the body's OFDM symbols drift against the fixed FFT windows: symbol ``t``'s window is late by
``delta_t = eps * m_t`` samples (``m_t`` its start in the body), which shows on every subcarrier
``n`` (centred index) as a phase ``2 pi n delta_t / N``, and past the cyclic prefix as
inter-symbol interference. On the pilot OFDM symbols, the products of each pilot's LS channel
estimate with its value on the first pilot symbol cancel the channel (static over the frame) and
keep ``exp(j 2 pi n (delta_t - delta_0) / N)``; the phase step between neighbouring pilots gives
``delta_t - delta_0``, and a least-squares line through them over ``m_t`` gives ``eps``. The body
is then resampled (:func:`phy.resample.interpolate`) at ``m / (1 + eps)``, which puts every symbol back in
its window; what is left (a constant fractional delay) is the channel estimator's business.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .ofdm import OFDMConfig
from .ofdm.resource_grid import ResourceGrid
from .resample import INTERP_HALF, interpolate

MAX_SCO_PPM = 200.0  # the largest offset tracked (and the body margin cut for it)
# Below this drift over a body, resampling is skipped: the channel estimator (pilots interpolated over
# time) follows a drift of a fraction of a sample, and a short frame's estimate is noisy (about
# +-25 ppm on a 32x32 image's frame, i.e. +-0.08 samples), so it would resample on noise.
MIN_DRIFT_SAMPLES = 0.25


def body_margin(length: int) -> int:
    """Samples to cut after a body of ``length`` samples so that it can be retimed."""
    return int(math.ceil(MAX_SCO_PPM * 1e-6 * length)) + INTERP_HALF


def estimate_sco(y_grid: torch.Tensor, grid: ResourceGrid) -> torch.Tensor:
    """Sampling-clock offset ``eps`` [B] (1e-6 is 1 ppm) of received bodies from their pilots.

    :input y_grid: [B, rx, T, N] complex: the demodulated body.
    """
    cfg: OFDMConfig = grid.cfg
    pilot_t = grid.pilot_symbol_idx
    batch = y_grid.shape[0]
    if len(pilot_t) < 2:
        return torch.zeros(batch, dtype=torch.float64)
    used = cfg.used_subcarriers
    delays = torch.zeros(batch, len(pilot_t), dtype=torch.float64)
    weights = torch.zeros_like(delays)
    for s in range(cfg.num_streams):
        cols = grid.pilot_positions(s)[1]
        n = used[cols] - cfg.fft_size // 2  # centred subcarrier indices of the comb
        step = np.diff(n)
        pairs = np.flatnonzero(step == np.min(step))  # neighbours at the comb's regular spacing
        sub = torch.as_tensor(used[cols], device=y_grid.device)
        t_idx = torch.as_tensor(pilot_t, device=y_grid.device)
        p = grid.pilots[s].to(y_grid.device).index_select(0, t_idx).index_select(1, sub)  # [P, K]
        h = y_grid.index_select(2, t_idx).index_select(3, sub) / p  # [B, rx, P, K]
        z = h * h[:, :, :1].conj()  # channel removed against the first pilot symbol
        pair = torch.as_tensor(pairs, device=y_grid.device)
        c = (z.index_select(3, pair + 1) * z.index_select(3, pair).conj()).sum(dim=(1, 3))  # [B, P]
        delays += (torch.angle(c).double() * cfg.fft_size / (2 * math.pi * float(np.min(step)))).cpu() * \
            c.abs().double().cpu()
        weights += c.abs().double().cpu()
    delays = delays / weights.clamp_min(1e-30)  # [B, P], samples late relative to the first pilot symbol
    m = torch.as_tensor(pilot_t * cfg.symbol_length, dtype=torch.float64)  # [P] symbol starts in the body
    m = m - m.mean()
    d = delays - delays.mean(dim=1, keepdim=True)
    w = weights / weights.sum(dim=1, keepdim=True).clamp_min(1e-30)
    return (w * m * d).sum(1) / (w * m * m).sum(1).clamp_min(1e-30)


def retime(body: torch.Tensor, tail: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """Bodies with their sampling-clock offset removed: sample ``m`` taken at ``m / (1 + eps)``.

    :input body: [B, rx, S] complex. :input tail: [B, rx, margin], the samples after each body.
    :input eps: [B] float (see :func:`estimate_sco`); |eps| * S below :data:`MIN_DRIFT_SAMPLES`
        leaves a body as it is. :output: [B, rx, S].
    """
    out = body.clone()
    length = body.shape[-1]
    full = torch.cat([body, tail], dim=-1)
    for b, e in enumerate(eps.tolist()):
        e = max(-MAX_SCO_PPM * 1e-6, min(MAX_SCO_PPM * 1e-6, e))
        if abs(e) * length >= MIN_DRIFT_SAMPLES:
            out[b] = torch.from_numpy(interpolate(full[b].cpu().numpy(), np.arange(length) / (1.0 + e))).to(body)
    return out

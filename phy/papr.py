"""Peak-to-average power ratio (PAPR): measurement, CCDF and its Gaussian
approximation, clipping and filtering, and a differentiable penalty for training."""

from __future__ import annotations

import math

import numpy as np
import torch


def papr_db(x: torch.Tensor, symbol_length: int, cp_length: int = 0, oversampling: int = 1,
            reference_power: float | None = None) -> torch.Tensor:
    """PAPR of each OFDM symbol in dB, ``max|x|^2 / mean|x|^2`` over its samples
    (CP excluded); with ``reference_power`` the denominator is that known mean.

    :input x: [..., T * symbol_length], complex time-domain signal.
    :output: [..., T], real.
    """
    if x.shape[-1] % symbol_length:
        raise ValueError(f"{x.shape[-1]} samples are not a whole number of {symbol_length}-sample symbols")
    sym = x.unflatten(-1, (x.shape[-1] // symbol_length, symbol_length))[..., cp_length:]
    if oversampling > 1:
        sym = oversample(sym, oversampling)
    p = sym.real.square() + sym.imag.square()
    mean = p.mean(-1).clamp_min(1e-30) if reference_power is None else torch.as_tensor(reference_power)
    return 10.0 * torch.log10(p.amax(-1) / mean)


def oversample(sym: torch.Tensor, factor: int) -> torch.Tensor:
    """Band-limited interpolation of OFDM symbols by zero-padding their spectrum.

    :input sym: [..., N] time samples of one symbol. :output: [..., factor * N].
    """
    n = sym.shape[-1]
    spec = torch.fft.fftshift(torch.fft.fft(sym, dim=-1), dim=-1)
    pad = (factor - 1) * n
    spec = torch.nn.functional.pad(spec, (pad // 2, pad - pad // 2))
    return torch.fft.ifft(torch.fft.ifftshift(spec, dim=-1), dim=-1) * factor


def ccdf(papr_values_db, thresholds_db) -> np.ndarray:
    """Empirical CCDF Pr(PAPR > threshold) at each threshold."""
    v = np.asarray(torch.as_tensor(papr_values_db).flatten().cpu())
    return np.array([(v > t).mean() for t in np.asarray(thresholds_db)])


def ccdf_gaussian(thresholds_db, num_samples: int) -> np.ndarray:
    """``1 - (1 - exp(-gamma))^N``: CCDF of the PAPR of N independent complex
    Gaussian samples (Nyquist-sampled OFDM with N loaded subcarriers)."""
    g = 10.0 ** (np.asarray(thresholds_db, dtype=float) / 10.0)
    return 1.0 - (1.0 - np.exp(-g)) ** num_samples


def papr_gaussian_at_ccdf(probability: float, num_samples: int) -> float:
    """The PAPR (dB) that N independent complex Gaussian samples exceed with ``probability``:
    the inverse of :func:`ccdf_gaussian`."""
    if not 0.0 < probability < 1.0 or num_samples < 1:
        raise ValueError(f"need 0 < probability < 1 and num_samples >= 1, got {probability}, {num_samples}")
    return 10.0 * math.log10(-math.log(1.0 - (1.0 - probability) ** (1.0 / num_samples)))


def papr_at_ccdf(papr_values_db, probability: float = 1e-3) -> float:
    """The PAPR (dB) exceeded with the given probability (e.g. 1e-3)."""
    v = torch.as_tensor(papr_values_db).flatten().double()
    return float(torch.quantile(v, 1.0 - probability))


def clip_and_filter(grid_used: torch.Tensor, fft_size: int, used: torch.Tensor, clip_ratio_db: float,
                    iterations: int = 1) -> torch.Tensor:
    """Iterative clipping and filtering of OFDM symbols (Armstrong).

    Clips the time-domain amplitude at ``clip_ratio`` x RMS, returns to the
    frequency domain and keeps only the used subcarriers (in-band filtering).

    :input grid_used: [..., T, N] centred frequency-domain grid (zeros off ``used``).
    :output: [..., T, N], the same subcarriers carrying the clipped signal's spectrum.
    """
    ratio = 10.0 ** (clip_ratio_db / 20.0)
    mask = torch.zeros(fft_size, dtype=torch.bool, device=grid_used.device)
    mask[used] = True
    g = grid_used
    for _ in range(iterations):
        x = torch.fft.ifft(torch.fft.ifftshift(g, dim=-1), dim=-1, norm="ortho")
        rms = x.abs().square().mean(-1, keepdim=True).sqrt()
        limit = ratio * rms
        r = x.abs()
        x = torch.where(r > limit, x * (limit / r.clamp_min(1e-20)), x)
        g = torch.fft.fftshift(torch.fft.fft(x, dim=-1, norm="ortho"), dim=-1) * mask
    return g


def papr_penalty(x: torch.Tensor, symbol_length: int, cp_length: int = 0, target_db: float = 6.0,
                 temperature: float = 0.05) -> torch.Tensor:
    """Differentiable PAPR penalty for training: mean over OFDM symbols of
    ``relu(smooth_PAPR_dB - target_db)``, where the max is a log-sum-exp of the
    normalised instantaneous power (temperature in linear power units).

    :input x: [..., T * symbol_length], complex. :output: scalar.
    """
    sym = x.unflatten(-1, (x.shape[-1] // symbol_length, symbol_length))[..., cp_length:]
    p = sym.real.square() + sym.imag.square()
    p = p / p.mean(-1, keepdim=True).clamp_min(1e-20)
    smooth_max = temperature * torch.logsumexp(p / temperature, dim=-1)
    return torch.relu(10.0 * torch.log10(smooth_max) - target_db).mean()

"""Pilot-based channel estimation on the resource grid.

Both estimators start from least-squares (LS) estimates at each stream's pilot
REs, ``h_ls = y / p``, whose error variance is ``N0 / |p|^2``, and spread them
to every used RE with two linear maps: across subcarriers (linear
interpolation for LS, a Wiener filter for LMMSE) and across OFDM symbols
(linear interpolation, held constant beyond the first and last pilot symbol).
Each returns the estimate and its per-RE error variance.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .resource_grid import ResourceGrid


def linear_interpolation_matrix(known: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Weights W [len(wanted), len(known)] with ``W @ f(known) = interp(wanted)``.

    Linear between known points, constant beyond the ends (as ``np.interp``).
    """
    known = np.asarray(known, dtype=float)
    w = np.zeros((len(wanted), len(known)))
    for i, x in enumerate(np.asarray(wanted, dtype=float)):
        if x <= known[0]:
            w[i, 0] = 1.0
        elif x >= known[-1]:
            w[i, -1] = 1.0
        else:
            j = np.searchsorted(known, x) - 1
            frac = (x - known[j]) / (known[j + 1] - known[j])
            w[i, j], w[i, j + 1] = 1.0 - frac, frac
    return w


def exponential_pdp_correlation(positions: np.ndarray, subcarrier_spacing_hz: float,
                                rms_delay_spread_s: float) -> np.ndarray:
    """Frequency correlation ``E[h_k h_l^*]`` of a channel with an exponential
    power-delay profile: ``1 / (1 + j 2 pi tau_rms df (k - l))``."""
    d = np.asarray(positions, dtype=float)[:, None] - np.asarray(positions, dtype=float)[None, :]
    return 1.0 / (1.0 + 2j * np.pi * rms_delay_spread_s * subcarrier_spacing_hz * d)


class _PilotEstimator(nn.Module):
    """Shared LS step and time interpolation.

    :input y: [batch, rx, T, N], complex: received grid.
    :input n0: [batch] or scalar: noise variance per RE.
    :output: (h_hat [batch, rx, streams, T, N], err_var [batch, streams, T, N]),
        zero off the used subcarriers.
    """

    def __init__(self, grid: ResourceGrid):
        super().__init__()
        self.grid = grid
        cfg = grid.cfg
        used = cfg.used_subcarriers
        self.register_buffer("used", torch.as_tensor(used, dtype=torch.long), persistent=False)
        wt = linear_interpolation_matrix(grid.pilot_symbol_idx, np.arange(grid.num_ofdm_symbols))
        self.register_buffer("w_time", torch.as_tensor(wt, dtype=torch.complex64), persistent=False)
        self.register_buffer("w_time_power", torch.as_tensor((wt ** 2).sum(1), dtype=torch.float32), persistent=False)
        cols = [grid.pilot_positions(s)[1] for s in range(cfg.num_streams)]
        self.cols = cols
        self.pilot_power = float(cfg.num_streams)

    def frequency_interpolation(self, stream: int, h_ls: torch.Tensor, n0: torch.Tensor) \
            -> tuple[torch.Tensor, torch.Tensor]:
        """Pilot estimates [B, rx, P, n_pilot] -> (every used subcarrier [B, rx, P, n_used],
        error-variance factor [B or 1, n_used]); ``n0`` [B]."""
        raise NotImplementedError

    def forward(self, y: torch.Tensor, n0) -> tuple[torch.Tensor, torch.Tensor]:
        g = self.grid
        batch, rx = y.shape[0], y.shape[1]
        n0 = torch.as_tensor(n0, dtype=torch.float32, device=y.device).expand(batch)
        streams, t, n = g.shape
        pilot_t = torch.as_tensor(g.pilot_symbol_idx, device=y.device)
        y_p = y.index_select(2, pilot_t).index_select(3, self.used)  # [B, rx, P, n_used]
        p = g.pilots.index_select(1, pilot_t).index_select(2, self.used)  # [streams, P, n_used]
        h = torch.zeros(batch, rx, streams, t, n, dtype=y.dtype, device=y.device)
        err = torch.zeros(batch, streams, t, n, dtype=torch.float32, device=y.device)
        for s in range(streams):
            cols = torch.as_tensor(self.cols[s], device=y.device)
            h_ls = y_p.index_select(3, cols) / p[s].index_select(1, cols)  # [B, rx, P, n_pilot]
            h_f, e_f = self.frequency_interpolation(s, h_ls, n0)  # [B, rx, P, n_used], [B|1, n_used]
            h_full = torch.einsum("tp,brpu->brtu", self.w_time, h_f)  # [B, rx, T, n_used]
            h[:, :, s, :, self.used] = h_full
            err[:, s, :, self.used] = (self.w_time_power[None, :, None] * e_f.expand(batch, -1)[:, None, :])
        return h, err


class LSChannelEstimator(_PilotEstimator):
    """LS at the pilots, linear interpolation in frequency and time."""

    def __init__(self, grid: ResourceGrid):
        super().__init__(grid)
        n_used = grid.cfg.num_used_subcarriers
        for s, cols in enumerate(self.cols):
            w = linear_interpolation_matrix(cols, np.arange(n_used))
            self.register_buffer(f"w_freq_{s}", torch.as_tensor(w, dtype=torch.complex64), persistent=False)
            self.register_buffer(f"w_freq_power_{s}", torch.as_tensor((w ** 2).sum(1), dtype=torch.float32),
                                 persistent=False)

    def frequency_interpolation(self, stream, h_ls, n0):
        e = n0[:, None] / self.pilot_power * getattr(self, f"w_freq_power_{stream}")[None]
        return torch.einsum("un,brpn->brpu", getattr(self, f"w_freq_{stream}").to(h_ls.dtype), h_ls), e


class LMMSEChannelEstimator(_PilotEstimator):
    """LS at the pilots, then a frequency-domain Wiener filter
    ``W = R_hp (R_pp + N0/|p|^2 I)^-1`` built from an exponential power-delay
    profile with rms delay spread ``rms_delay_spread_s``, then linear time
    interpolation. Error variance: ``diag(R_hh - W R_ph)``.

    ``R_pp = U diag(lambda) U^H`` is diagonalised once, so the filter of any noise level is
    ``W = A diag(1 / (lambda + N0/|p|^2)) U^H`` with ``A = R_hp U``: a batch of frames with
    different noise levels costs two matrix products, no solve, and the error variance is
    ``1 - |A|^2 (1 / (lambda + N0/|p|^2))``."""

    def __init__(self, grid: ResourceGrid, rms_delay_spread_s: float = 300e-9):
        super().__init__(grid)
        if rms_delay_spread_s < 0:
            raise ValueError(f"rms_delay_spread_s must be >= 0, got {rms_delay_spread_s}")
        n_used = grid.cfg.num_used_subcarriers
        r = exponential_pdp_correlation(np.arange(n_used), grid.cfg.subcarrier_spacing_hz, rms_delay_spread_s)
        for s, cols in enumerate(self.cols):
            r_hp = r[:, cols]  # [n_used, n_pilot]
            lam, u = np.linalg.eigh(r_hp[cols])  # R_pp (Hermitian, positive semi-definite)
            a = r_hp @ u  # [n_used, n_pilot]
            self.register_buffer(f"eig_{s}", torch.as_tensor(lam.clip(0.0), dtype=torch.float64), persistent=False)
            self.register_buffer(f"a_{s}", torch.as_tensor(a, dtype=torch.complex64), persistent=False)
            self.register_buffer(f"a_power_{s}", torch.as_tensor(np.abs(a) ** 2, dtype=torch.float64),
                                 persistent=False)
            self.register_buffer(f"uh_{s}", torch.as_tensor(u.conj().T, dtype=torch.complex64), persistent=False)

    def frequency_interpolation(self, stream, h_ls, n0):
        d = 1.0 / (getattr(self, f"eig_{stream}")[None] + (n0.double() / self.pilot_power)[:, None])  # [B, n_pilot]
        z = torch.einsum("qn,brpn->brpq", getattr(self, f"uh_{stream}").to(h_ls.dtype), h_ls)  # eigen-coordinates
        z = z * d.to(torch.float32)[:, None, None, :]
        h_f = torch.einsum("uq,brpq->brpu", getattr(self, f"a_{stream}").to(h_ls.dtype), z)  # [B, rx, P, n_used]
        err = (1.0 - d @ getattr(self, f"a_power_{stream}").T).clamp_min(0.0).float()  # [B, n_used]
        return h_f, err


PROFILE_WINDOW = 7  # adjacent subcarriers averaged in the pilots' noise profile
PROFILE_SIGNIFICANT = 2.5  # subcarriers whose profile exceeds its mean this many times get their own level


def _pilot_second_differences(y: torch.Tensor, grid: ResourceGrid):
    """Per stream: (used-subcarrier positions of the middle pilots, noise estimates there
    [B, rx, P, n_pilot - 2]) from the second difference of neighbouring pilots' LS estimates."""
    cfg = grid.cfg
    used = torch.as_tensor(cfg.used_subcarriers, device=y.device)
    pilot_t = torch.as_tensor(grid.pilot_symbol_idx, device=y.device)
    y_p = y.index_select(2, pilot_t).index_select(3, used)  # [B, rx, P, n_used]
    p = grid.pilots.to(y.device).index_select(1, pilot_t).index_select(2, used)  # [streams, P, n_used]
    for s in range(cfg.num_streams):
        cols = grid.pilot_positions(s)[1]
        if len(cols) < 3:
            continue
        c = torch.as_tensor(cols, device=y.device)
        h = y_p.index_select(3, c) / p[s].index_select(1, c)  # [B, rx, P, n_pilot]
        d2 = h[..., :-2] - 2 * h[..., 1:-1] + h[..., 2:]
        yield cols[1:-1], d2.abs().square() * float(cfg.num_streams) / 6.0


def pilot_noise_variance(y: torch.Tensor, grid: ResourceGrid) -> torch.Tensor:
    """Noise (plus interference) variance per RE measured on the pilots of a received frame.

    On each stream's pilot comb the LS estimates ``h_ls = y / p`` of three neighbouring pilots
    have the second difference ``h[k-1] - 2 h[k] + h[k+1]``: nearly zero for the channel (its
    frequency response is smooth across a few subcarriers) and of variance ``6 N0 / |p|^2`` for
    the noise. It covers the whole frame body, so interference that misses the preamble counts.

    :input y: [batch, rx, T, N], complex: received grid. :output: [batch], float32.
    """
    parts = [v.flatten(1) for _, v in _pilot_second_differences(y, grid)]
    if not parts:
        return torch.zeros(y.shape[0], device=y.device)
    return torch.cat(parts, dim=1).mean(1).float()


def pilot_noise_profile(y: torch.Tensor, grid: ResourceGrid, window: int = PROFILE_WINDOW) -> torch.Tensor:
    """The pilots' noise estimate per used subcarrier (see :func:`pilot_noise_variance`), averaged
    over the pilot symbols, the receive antennas and ``window`` neighbouring subcarriers.

    :input y: [batch, rx, T, N], complex. :output: [batch, n_used], float32.
    """
    n_used = grid.cfg.num_used_subcarriers
    total = torch.zeros(y.shape[0], n_used, device=y.device)
    count = torch.zeros(n_used, device=y.device)
    for cols, v in _pilot_second_differences(y, grid):
        total[:, cols] += v.mean(dim=(1, 2)).float()
        count[cols] += 1
    if not count.any():
        return total
    return smooth_subcarriers(total, window) / smooth_subcarriers(count[None].expand_as(total), window).clamp_min(1e-12)


def smooth_subcarriers(x: torch.Tensor, window: int) -> torch.Tensor:
    """Mean over ``window`` neighbouring subcarriers (fewer at the band's edges). :input x: [B, U], real."""
    return torch.nn.functional.avg_pool1d(x[:, None], window, 1, window // 2, count_include_pad=False)[:, 0]


def narrowband_shape(profile: torch.Tensor, ratio: float = PROFILE_SIGNIFICANT) -> torch.Tensor:
    """How noise spreads over the subcarriers, from a noisy per-subcarrier ``profile`` [B, U]: the
    profile relative to its mean where that exceeds ``ratio`` (a narrowband interferer), the other
    subcarriers' mean elsewhere, so white noise gives a flat 1. :output: [B, U], mean 1 per row."""
    relative = profile / profile.mean(1, keepdim=True).clamp_min(1e-30)
    marked = relative > ratio
    calm = torch.where(marked, 0.0, relative).sum(1, keepdim=True) / (~marked).sum(1, keepdim=True).clamp_min(1)
    return torch.where(marked, relative, calm)


def body_noise_variance(y: torch.Tensor, grid: ResourceGrid) -> torch.Tensor:
    """Noise (plus interference) variance per RE and subcarrier over a whole frame body.

    Its level: the pilots' (see :func:`pilot_noise_variance`), or the data REs' when they
    clearly hold more. The data REs' is their power excess: the pilot REs receive ``g + N``
    (unit-power pilots through a channel of mean power gain ``g``), the data REs
    ``g * fill + N_data``, where ``fill`` is the mean transmitted power per data RE (unit-power
    symbols, exactly normalised per frame, spread over the data REs with their padding). It
    needs no interference that varies across the pilots (which their second difference
    measures) and covers the OFDM symbols between the pilot symbols, so a burst that hits only
    data symbols counts. As the data symbols are unknown it is noisy (the signal's cross terms
    with the noise, the channel's spread across REs): it is lowered by twice its standard
    deviation before the comparison, so on a clean link the pilots' estimate stands.

    Its shape across subcarriers: :func:`narrowband_shape` of the pilots' profile
    (:func:`pilot_noise_profile`), so the mean over the used subcarriers is the level.

    :input y: [batch, rx, T, N], complex: received grid. :output: [batch, N], float32 (the level
        on the unused subcarriers too).
    """
    cfg = grid.cfg
    used = torch.as_tensor(cfg.used_subcarriers, device=y.device)
    n_pilot = pilot_noise_variance(y, grid).double()
    power = y.index_select(3, used).abs().square().double()  # [B, rx, T, n_used]
    p_pilot = power.index_select(2, torch.as_tensor(grid.pilot_symbol_idx, device=y.device))  # [B, rx, P, U]
    p_data = power.index_select(2, torch.as_tensor(grid.data_symbol_idx, device=y.device))  # [B, rx, D, U]
    fill = grid.num_symbols / (grid.n_data * cfg.num_streams)
    n_data = p_data.mean(dim=(1, 2, 3)) - fill * (p_pilot.mean(dim=(1, 2, 3)) - n_pilot).clamp_min(0.0)
    # the spread of a pilot RE's power (channel, noise) over the REs averaged in each mean
    spread = p_pilot.flatten(1).var(dim=1)
    sigma = (spread * (fill / p_data[0].numel() + fill ** 2 / p_pilot[0].numel())).sqrt()
    level = torch.maximum(n_pilot, n_data - 2.0 * sigma).float()  # [B]
    out = level[:, None].repeat(1, cfg.fft_size)
    out[:, used] = level[:, None] * narrowband_shape(pilot_noise_profile(y, grid))
    return out

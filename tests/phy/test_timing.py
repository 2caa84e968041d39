"""Sampling-clock offset: resampling accuracy, the pilot estimate against the injected offset,
and retiming restoring a long body (phy.resample, phy.timing)."""

import numpy as np
import pytest
import torch

from phy.ofdm import OFDMDemodulator, OFDMModulator, ResourceGrid, ResourceGridMapper, preset
from phy.resample import StreamResampler, interpolate
from phy.timing import body_margin, estimate_sco, retime


def tones(positions, freqs, phases):
    return np.exp(2j * np.pi * (np.outer(positions, freqs) + phases)).sum(1)


def test_interpolation_error_is_below_minus_70_db_in_band():
    """A sum of tones within ±0.3 cycles/sample, read at random fractional positions."""
    rng = np.random.default_rng(0)
    freqs, phases = rng.uniform(-0.3, 0.3, 20), rng.uniform(0, 1, 20)
    x = tones(np.arange(4000), freqs, phases)
    pos = np.sort(rng.uniform(100, 3900, 2000))
    err = interpolate(x, pos) - tones(pos, freqs, phases)
    assert 10 * np.log10(np.mean(np.abs(err) ** 2) / np.mean(np.abs(x) ** 2)) < -70


def test_stream_resampler_pulls_continue_one_stream():
    x = tones(np.arange(30000), [0.1, -0.2], [0.0, 0.3])[None]
    state = {"i": 0}

    def source(m):
        state["i"] += m
        return x[:, state["i"] - m:state["i"]]
    r = StreamResampler(1 + 50e-6, 1)
    y = np.concatenate([r.pull(source, n) for n in (1000, 7, 4000, 9000)], -1)[0]
    np.testing.assert_allclose(y, interpolate(x[0], np.arange(len(y)) * (1 + 50e-6)), atol=1e-9)


def body(num_slots=60, ppm=0.0, snr_db=25.0, seed=0):
    """A SISO seed-numerology body of ``num_slots`` slots (random QPSK), sampled by a clock
    ``ppm`` slow, with noise: (received [1, 1, S], tail, grid, transmitted [1, 1, S])."""
    cfg = preset("seed-siso")
    n_data = num_slots * len(cfg.data_symbols) * cfg.num_used_subcarriers
    grid = ResourceGrid(cfg, n_data)
    g = torch.Generator().manual_seed(seed)
    s = (torch.randint(0, 2, (1, n_data), generator=g) * 2 - 1 + 1j * (torch.randint(0, 2, (1, n_data), generator=g)
                                                                        * 2 - 1)).to(torch.complex64) / 2 ** 0.5
    x = OFDMModulator(cfg.cp_length)(ResourceGridMapper(grid)(s))[0, 0].numpy()  # [S]
    length = len(x)
    total = length + body_margin(length)
    y = interpolate(np.r_[x, np.zeros(total - length)], np.arange(total) * (1 + ppm * 1e-6))
    rng = np.random.default_rng(seed)
    y = y + np.sqrt(np.mean(np.abs(x) ** 2) * 10 ** (-snr_db / 10) / 2) * (rng.standard_normal(total)
                                                                          + 1j * rng.standard_normal(total))
    y = torch.as_tensor(y, dtype=torch.complex64)[None, None]
    return y[..., :length], y[..., length:], grid, torch.as_tensor(x)[None, None]


def pilot_evm_db(rx, tx, grid):
    demod = OFDMDemodulator(grid.cfg.fft_size, grid.cfg.cp_length)
    t = torch.as_tensor(grid.pilot_symbol_idx)
    used = torch.as_tensor(grid.cfg.used_subcarriers)
    a = demod(rx).index_select(2, t).index_select(3, used)
    b = demod(tx).index_select(2, t).index_select(3, used)
    return float(10 * torch.log10((a - b).abs().square().mean() / b.abs().square().mean()))


@pytest.mark.parametrize("ppm", [-40.0, 20.0, 40.0])
def test_estimate_matches_the_injected_offset(ppm):
    rx, _, grid, _ = body(ppm=ppm)
    demod = OFDMDemodulator(grid.cfg.fft_size, grid.cfg.cp_length)
    assert float(estimate_sco(demod(rx), grid)[0]) * 1e6 == pytest.approx(ppm, abs=2.0)


def test_retiming_restores_a_long_body():
    """60 slots (57540 samples) at +40 ppm drift 2.3 samples late: past the FFT window into the next
    symbol, so the pilots' error rises well above the noise (25 dB SNR); retimed, it is back at it."""
    rx, tail, grid, tx = body(ppm=40.0)
    assert 40e-6 * rx.shape[-1] > 2
    clean_rx, _, _, _ = body(ppm=0.0)
    demod = OFDMDemodulator(grid.cfg.fft_size, grid.cfg.cp_length)
    fixed = retime(rx, tail, estimate_sco(demod(rx), grid))
    noise_floor = pilot_evm_db(clean_rx, tx, grid)
    assert pilot_evm_db(rx, tx, grid) > noise_floor + 10
    assert pilot_evm_db(fixed, tx, grid) < noise_floor + 0.5


def test_a_short_drift_is_left_alone():
    rx, tail, _, _ = body(num_slots=2)
    assert torch.equal(retime(rx, tail, torch.tensor([20e-6])), rx)  # 20 ppm over 1918 samples: 0.04 samples

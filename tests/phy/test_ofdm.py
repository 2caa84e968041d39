import numpy as np
import pytest
import torch

from phy.channels import complex_normal
from phy.ofdm import (OFDMConfig, OFDMDemodulator, OFDMModulator, ResourceGrid, ResourceGridDemapper,
                      ResourceGridMapper, preset)
from phy.ofdm.equalization import Equalizer
from phy.ofdm.estimation import (LMMSEChannelEstimator, LSChannelEstimator, body_noise_variance,
                                 linear_interpolation_matrix, pilot_noise_variance)
from phy.power import normalize_power


def frame(cfg, k=512, interleave=False, batch=4):
    grid = ResourceGrid(cfg, k, interleave=interleave)
    s = complex_normal((batch, k), 1.0)
    return grid, s, ResourceGridMapper(grid)(s)


def flat_channel(x, h):
    """x [B, streams, T, N], h [B, rx, streams] -> y [B, rx, T, N]."""
    return torch.einsum("brs,bstn->brtn", h, x)


@pytest.mark.parametrize("name", ["seed-2x2", "seed-siso", "wifi-64"])
@pytest.mark.parametrize("interleave", [False, True])
def test_mapper_demapper_round_trip(name, interleave):
    cfg = preset(name)
    for k in (1, 100, 512, 3000):
        grid, s, x = frame(cfg, k, interleave)
        assert x.shape == (4, cfg.num_streams, grid.num_slots * cfg.num_ofdm_symbols, cfg.fft_size)
        assert torch.equal(ResourceGridDemapper(grid)(x), s)


def test_grid_layout_guards_dc_and_pilot_power():
    cfg = preset("seed-2x2")
    grid, _, x = frame(cfg, 720)  # exactly one full slot, no padding
    assert grid.num_padding == 0
    used = cfg.used_subcarriers
    assert len(used) == 72 and cfg.fft_size // 2 not in used
    guard = np.setdiff1d(np.arange(cfg.fft_size), used)
    assert x[..., guard].abs().max() == 0  # guards and DC empty
    pilot_power = x[:, :, list(cfg.pilot_symbols)][..., used].abs().square().mean()
    assert float(pilot_power) == pytest.approx(1.0, rel=1e-5)  # per stream, as the data
    assert cfg.sample_rate_hz == 1.92e6


def test_interleaver_spreads_neighbours():
    grid = ResourceGrid(preset("seed-siso"), 360, interleave=True)
    # consecutive symbols land on far-apart REs
    assert float((grid.perm[1:] - grid.perm[:-1]).abs().float().median()) > 20


def test_modulator_round_trip_and_cp():
    cfg = preset("seed-2x2")
    _, _, x = frame(cfg)
    t = OFDMModulator(cfg.cp_length)(x)
    assert t.shape == (4, 2, 7 * 137)
    sym = t.view(4, 2, 7, 137)
    torch.testing.assert_close(sym[..., :9], sym[..., -9:])  # cyclic prefix = tail
    torch.testing.assert_close(OFDMDemodulator(cfg.fft_size, cfg.cp_length)(t), x)
    # Parseval: orthonormal DFT keeps the energy
    torch.testing.assert_close(sym[..., 9:].abs().square().sum(), x.abs().square().sum(), rtol=1e-4, atol=0)


def test_modulator_matches_sionna():
    pytest.importorskip("sionna.phy")
    from sionna.phy.ofdm import OFDMDemodulator as SD
    from sionna.phy.ofdm import OFDMModulator as SM

    cfg = preset("wifi-64")
    _, _, x = frame(cfg, 1000)
    ours = OFDMModulator(cfg.cp_length)(x)
    torch.testing.assert_close(ours, SM(cyclic_prefix_length=cfg.cp_length)(x))
    torch.testing.assert_close(OFDMDemodulator(cfg.fft_size, cfg.cp_length)(ours),
                               SD(fft_size=cfg.fft_size, l_min=0, cyclic_prefix_length=cfg.cp_length)(ours))


@pytest.mark.parametrize("kind", ["zf", "lmmse"])
def test_zf_flat_identity_channel_is_exact(kind):
    cfg = preset("seed-2x2")
    grid, s, x = frame(cfg)
    h = torch.eye(2, dtype=torch.complex64).expand(4, 2, 2)
    y = flat_channel(x, h)
    h_grid = h[..., None, None].expand(4, 2, 2, *x.shape[2:]).clone()
    h_grid[..., np.setdiff1d(np.arange(cfg.fft_size), cfg.used_subcarriers)] = 0
    x_hat, var = Equalizer(kind)(y, h_grid, 0.0 if kind == "zf" else 1e-9)
    s_hat = ResourceGridDemapper(grid)(x_hat)
    torch.testing.assert_close(s_hat, s, rtol=1e-4, atol=1e-4)
    assert torch.isinf(var[..., cfg.fft_size // 2]).all()  # DC carries nothing


@pytest.mark.parametrize("estimator", [LSChannelEstimator, LMMSEChannelEstimator])
def test_pilot_estimate_mse_matches_theory_on_flat_channel(estimator):
    """On a flat channel, the LS error at a pilot RE is N0/|p|^2; interpolation averages it down,
    and the reported error variance must match the measured one."""
    torch.manual_seed(3)
    cfg = preset("seed-2x2")
    grid, _, x = frame(cfg, batch=256)
    h = complex_normal((256, 2, 2), 1.0)
    n0 = 0.05
    y = flat_channel(x, h) + complex_normal((256, 2, *x.shape[2:]), n0)
    est = estimator(grid) if estimator is LSChannelEstimator else estimator(grid, rms_delay_spread_s=0.0)
    h_hat, err = est(y, n0)
    used = torch.as_tensor(cfg.used_subcarriers)
    e = (h_hat[..., used] - h[..., None, None]).abs().square()  # [B, rx, S, T, n_used]
    measured = e.mean(dim=(0, 1))  # [S, T, n_used]
    reported = err[..., used].mean(0)
    ratio = float(measured.mean() / reported.mean())
    assert 0.9 < ratio < 1.1, ratio
    if estimator is LSChannelEstimator:
        p = grid.pilot_positions(0)
        at_pilots = e[:, :, 0][:, :, p[0]][..., p[1]].mean()
        assert float(at_pilots) == pytest.approx(n0 / cfg.num_streams, rel=0.1)  # N0 / |p|^2


def test_lmmse_beats_ls_on_frequency_selective_channel():
    torch.manual_seed(4)
    cfg = preset("seed-siso")
    grid, s, x = frame(cfg, batch=128)
    taps = complex_normal((128, 4), 0.25)  # 4-tap channel, 4 samples = 2 us at 1.92 MS/s
    freq = torch.fft.fftshift(torch.fft.fft(taps, n=cfg.fft_size), dim=-1)  # [B, N]
    n0 = 0.1
    y = x * freq[:, None, None, :] + complex_normal(x.shape, n0)
    h_true = freq[:, None, None, None, :].expand(128, 1, 1, x.shape[2], cfg.fft_size)
    used = torch.as_tensor(cfg.used_subcarriers)
    mse = {}
    for name, est in (("ls", LSChannelEstimator(grid)), ("lmmse", LMMSEChannelEstimator(grid, 1e-6))):
        h_hat, _ = est(y, n0)
        mse[name] = float((h_hat - h_true)[..., used].abs().square().mean())
    assert mse["lmmse"] < 0.8 * mse["ls"], mse


@pytest.mark.parametrize("delay_spread_s", [1e-9, 300e-9, 2e-6])
def test_lmmse_filter_equals_the_wiener_filter_solved_in_float64(delay_spread_s):
    """The estimator's eigen-decomposed filter gives W = R_hp (R_pp + N0/|p|^2 I)^-1 applied to the
    pilots, and its error variance, for a different noise level per frame (down to 1e-4, where
    R_pp is ill-conditioned), to float32 precision."""
    from phy.ofdm.estimation import exponential_pdp_correlation

    cfg = preset("seed-siso")
    grid = ResourceGrid(cfg, 512)
    est = LMMSEChannelEstimator(grid, delay_spread_s)
    cols = est.cols[0]
    r = torch.as_tensor(exponential_pdp_correlation(np.arange(cfg.num_used_subcarriers), cfg.subcarrier_spacing_hz,
                                                    delay_spread_s))
    r_hp = r[:, cols]
    n0 = torch.logspace(-4, 1, 6, dtype=torch.float64)
    h_ls = complex_normal((6, 1, 4, len(cols)), 1.0).to(torch.complex128)
    w = torch.linalg.solve(r_hp[cols][None] + (n0 / est.pilot_power)[:, None, None] * torch.eye(len(cols)),
                           r_hp.mH[None].expand(6, -1, -1)).mH  # [B, n_used, n_pilot]
    h_f, err = est.frequency_interpolation(0, h_ls.to(torch.complex64), n0.float())
    want = torch.einsum("bun,brpn->brpu", w, h_ls)
    assert float((h_f - want).abs().amax() / want.abs().amax()) < 1e-5
    want_err = (1 - torch.einsum("bun,nu->bu", w, r_hp.mH).real).clamp_min(0)
    torch.testing.assert_close(err, want_err.float(), atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("kind", ["zf", "lmmse"])
def test_one_stream_equaliser_is_maximum_ratio_combining(kind):
    """One stream over two receive antennas: x = h^H y / |h|^2 and noise n0_eff / |h|^2 (the
    unbiased LMMSE estimate of one stream is the ZF one); zero channel: 0 with infinite variance."""
    y = complex_normal((3, 2, 4, 8), 1.0)
    h = complex_normal((3, 2, 1, 4, 8), 1.0)
    h[..., 0] = 0
    n0, err = torch.tensor([0.1, 0.2, 0.3]), torch.rand(3, 1, 4, 8)
    x_hat, var = Equalizer(kind)(y, h, n0, err)
    gram = h[:, :, 0].abs().square().sum(1)
    torch.testing.assert_close(x_hat[:, 0, ..., 1:], ((h[:, :, 0].conj() * y).sum(1) / gram)[..., 1:])
    torch.testing.assert_close(var[:, 0, ..., 1:], ((n0[:, None, None] + err[:, 0]) / gram)[..., 1:], rtol=1e-4,
                               atol=1e-6)
    assert (x_hat[..., 0] == 0).all() and torch.isinf(var[..., 0]).all()


def test_full_siso_chain_recovers_symbols():
    torch.manual_seed(5)
    cfg = preset("seed-siso")
    grid, s, x = frame(cfg, batch=8)
    t = OFDMModulator(cfg.cp_length)(x)
    rx = torch.zeros_like(t)
    for d, a in ((0, 1.0), (4, 0.5j)):  # two paths, the second 4 samples late: within the CP
        rx[..., d:] += a * t[..., : t.shape[-1] - d]
    y = OFDMDemodulator(cfg.fft_size, cfg.cp_length)(rx)
    h_hat, err = LSChannelEstimator(grid)(y, 1e-6)
    x_hat, var = Equalizer("zf")(y, h_hat, 1e-6, err)
    s_hat = ResourceGridDemapper(grid)(x_hat)
    assert float((s_hat - s).abs().square().mean()) < 1e-3


@pytest.mark.parametrize("kw,field", [
    ({"cp_length": 128}, "cp_length"), ({"pilot_symbols": (7,)}, "pilot_symbols"),
    ({"num_streams": 2, "num_tx_ant": 1}, "num_streams"), ({"num_streams": 2, "num_tx_ant": 2}, "num_streams"),
    ({"num_used_subcarriers": 128}, "num_used_subcarriers"), ({"pilot_symbols": tuple(range(7))}, "pilot_symbols"),
    ({"fft_size": 4}, "fft_size"),
])
def test_inconsistent_configs_name_the_field(kw, field):
    with pytest.raises(ValueError, match=f"OFDMConfig.{field}"):
        OFDMConfig(**kw)


def test_dict_round_trip_names_unknown_fields():
    cfg = preset("seed-2x2")
    assert OFDMConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError, match="fft_sise"):
        OFDMConfig.from_dict({"fft_size": 64, "fft_sise": 3})


def test_mapper_rejects_nan_and_wrong_length():
    grid = ResourceGrid(preset("seed-siso"), 10)
    s = torch.zeros(1, 10, dtype=torch.complex64)
    s[0, 3] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        ResourceGridMapper(grid)(s)
    with pytest.raises(ValueError, match="10"):
        ResourceGridMapper(grid)(torch.zeros(1, 11, dtype=torch.complex64))


def test_interpolation_matrix():
    w = linear_interpolation_matrix(np.array([0, 4]), np.arange(6))
    np.testing.assert_allclose(w @ np.array([0.0, 4.0]), [0, 1, 2, 3, 4, 4])


def _noisy_frame(name, n0, seed=5):
    torch.manual_seed(seed)
    cfg = preset(name)
    grid = ResourceGrid(cfg, 500)
    x = ResourceGridMapper(grid)(normalize_power(complex_normal((8, 500), 1.0))) / cfg.num_streams ** 0.5
    y = flat_channel(x, complex_normal((8, cfg.num_rx_ant, cfg.num_streams), 1.0))
    return cfg, grid, y + complex_normal(y.shape, n0)


@pytest.mark.parametrize("name", ["seed-siso", "seed-2x2"])
def test_body_noise_variance_covers_the_data_symbols(name):
    """White noise: both estimates match N0, flat across subcarriers. Interference on some data
    symbols only (the pilots never see it): the pilots' estimate misses it, the body's finds most
    of its mean power over the data (less a margin for its own uncertainty, larger with two
    streams' channels)."""
    n0 = 0.01
    cfg, grid, noisy = _noisy_frame(name, n0)
    used = torch.as_tensor(cfg.used_subcarriers)
    white = body_noise_variance(noisy, grid)[:, used]  # [B, U]
    assert torch.allclose(white.mean(1), torch.full((8,), n0), rtol=0.3)
    assert (white.amax(1) < 1.5 * white.mean(1)).all()
    assert torch.allclose(pilot_noise_variance(noisy, grid), torch.full((8,), n0), rtol=0.2)
    burst = torch.zeros(grid.num_ofdm_symbols, 1)
    burst[grid.data_symbol_idx[::3]] = 1.0  # every third data symbol, power 1 per RE
    hit = noisy + complex_normal(noisy.shape, 1.0) * burst.sqrt()
    on_data = n0 + float(burst[grid.data_symbol_idx].mean())
    body = body_noise_variance(hit, grid)[:, used].mean(1)
    assert (body > (0.8 if cfg.num_streams == 1 else 0.4) * on_data).all() and (body < 1.1 * on_data).all(), body
    assert (pilot_noise_variance(hit, grid) < 2 * n0).all()


def test_body_noise_variance_marks_a_narrowband_interferer():
    """Interference of power 2 on three subcarriers: they get tens of times the others' level (N0)."""
    n0 = 0.01
    cfg, grid, noisy = _noisy_frame("seed-siso", n0)
    tone = torch.zeros(cfg.fft_size)
    tone[cfg.used_subcarriers[20:23]] = 2.0
    est = body_noise_variance(noisy + complex_normal(noisy.shape, 1.0) * tone.sqrt(), grid)
    hit, rest = est[:, cfg.used_subcarriers[20:23]], est[:, cfg.used_subcarriers[30:]]
    assert (hit.amin(1) > 0.3).all() and (hit.amax(1) < 2.0).all(), hit  # spread over the profile's window
    assert (rest < 3 * n0).all(), rest.amax()

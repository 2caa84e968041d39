import numpy as np
import pytest
import torch

from phy.channels import complex_normal
from phy.multipath import apply_fir, exponential_pdp_taps, frequency_response
from phy.ofdm import OFDMDemodulator, OFDMModulator, preset


def test_static_fir_matches_numpy_convolution():
    x = complex_normal((2, 3, 50), 1.0)
    h = complex_normal((2, 4, 3, 5), 1.0)
    y = apply_fir(x, h)
    assert y.shape == (2, 4, 54)
    ref = np.zeros((2, 4, 54), dtype=complex)
    for b in range(2):
        for r in range(4):
            for t in range(3):
                ref[b, r] += np.convolve(h[b, r, t].numpy(), x[b, t].numpy())
    np.testing.assert_allclose(y.numpy(), ref, atol=1e-4)


def test_time_varying_fir_with_constant_taps_equals_static():
    x = complex_normal((1, 2, 30), 1.0)
    h = complex_normal((1, 2, 2, 4), 1.0)
    hv = h[:, :, :, None, :].expand(-1, -1, -1, 33, -1)
    torch.testing.assert_close(apply_fir(x, hv), apply_fir(x, h))


def test_taps_have_unit_average_power():
    h = exponential_pdp_taps(20000, 1, 1, 6, 2.0)
    assert float(h.abs().square().sum(-1).mean()) == pytest.approx(1.0, rel=0.03)


def test_frequency_response_diagonalises_ofdm_within_cp():
    cfg = preset("seed-siso")
    grid = torch.zeros(3, 1, 7, cfg.fft_size, dtype=torch.complex64)
    grid[..., cfg.used_subcarriers] = complex_normal((3, 1, 7, 72), 1.0)
    h = exponential_pdp_taps(3, 1, 1, 6, 1.5)
    x = OFDMModulator(cfg.cp_length)(grid)
    y = apply_fir(x[:, :, :], h)[..., : x.shape[-1]]
    y_grid = OFDMDemodulator(cfg.fft_size, cfg.cp_length)(y)
    expected = grid * frequency_response(h[:, :, 0], cfg.fft_size)[:, :, None, :]  # [B, rx, 1, N]
    torch.testing.assert_close(y_grid, expected, atol=1e-4, rtol=1e-4)


def test_our_fir_equals_sionna_apply_time_channel():
    pytest.importorskip("sionna.phy")
    from sionna.phy.channel import ApplyTimeChannel

    from phy.sionna_channel import SionnaTimeChannel

    cfg = preset("seed-2x2")
    ch = SionnaTimeChannel("tdl-a", cfg, max_speed_mps=30.0)  # time-varying taps
    n = 300
    h_sionna = ch.cir_taps(4, n)  # [B, 1, rx, 1, tx, n + L - 1, L]
    x = complex_normal((4, 2, n), 1.0)
    theirs = ApplyTimeChannel(n, ch.num_taps)(x[:, None], h_sionna)  # [B, 1, rx, n + L - 1]
    ours = apply_fir(x, h_sionna[:, 0, :, 0])
    torch.testing.assert_close(ours, theirs[:, 0], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", ["tdl-a", "tdl-c", "cdl-b"])
def test_sionna_channels_shapes_and_power(name):
    pytest.importorskip("sionna.phy")
    from phy.sionna_channel import SionnaTimeChannel

    ch = SionnaTimeChannel(name, preset("seed-2x2"))
    h = ch.taps(64, 100)
    assert h.shape == (64, 2, 2, ch.num_taps)
    assert float(h.abs().square().sum(-1).mean()) == pytest.approx(1.0, rel=0.25)


def test_unknown_sionna_channel():
    from phy.sionna_channel import SionnaTimeChannel

    with pytest.raises(ValueError, match="unknown Sionna channel"):
        SionnaTimeChannel("tdl-z", preset("seed-siso"))


def test_sionna_taps_follow_a_seed_and_leave_sionnas_generator_alone():
    pytest.importorskip("sionna.phy")
    from phy.sionna_channel import SionnaTimeChannel

    ch = SionnaTimeChannel("tdl-a", preset("seed-siso"))
    state = ch.model.torch_rng.get_state()
    a, b, c = ch.taps(2, 1, seed=7), ch.taps(2, 1, seed=7), ch.taps(2, 1, seed=8)
    assert torch.equal(a, b) and not torch.allclose(a, c)
    assert torch.equal(ch.model.torch_rng.get_state(), state)

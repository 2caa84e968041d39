import math

import pytest
import torch

from phy.channels import AWGNChannel, RayleighBlockFading, make_channel, noise_variance
from phy.power import normalize_power


def unit_symbols(batch=8, k=20000):
    return normalize_power(torch.randn(batch, k, dtype=torch.complex64))


def test_awgn_noise_variance_matches_snr():
    s = unit_symbols()
    snr = torch.tensor([0.0, 5.0, 10.0, 20.0, 0.0, 5.0, 10.0, 20.0])
    out = AWGNChannel()(s, snr)
    measured = (out.s_hat - s).abs().square().mean(dim=1)
    torch.testing.assert_close(measured, noise_variance(snr), rtol=0.05, atol=0)
    assert torch.equal(out.snr_eff_db, snr)


def test_rayleigh_perfect_csi_noise_scaled_by_gain():
    torch.manual_seed(1)
    s = unit_symbols(batch=2000, k=64)
    out = RayleighBlockFading("perfect")(s, 10.0)
    measured = (out.s_hat - s).abs().square().mean(dim=1)  # N0/|h|^2 per image
    expected = 1.0 / (10 ** (out.snr_eff_db / 10))
    ratio = (measured / expected).mean()
    assert abs(float(ratio) - 1.0) < 0.05
    # |h|^2 is exponential with mean 1: mean effective linear SNR is 10
    assert abs(float((10 ** (out.snr_eff_db / 10)).mean()) / 10.0 - 1.0) < 0.1


def test_rayleigh_estimated_csi_is_worse_than_perfect():
    s = unit_symbols(batch=4000, k=32)
    torch.manual_seed(2)
    perfect = RayleighBlockFading("perfect")(s, 5.0)
    torch.manual_seed(2)
    est = RayleighBlockFading("estimated", num_pilots=2)(s, 5.0)
    mse_p = (perfect.s_hat - s).abs().square().median()
    mse_e = (est.s_hat - s).abs().square().median()
    assert mse_e > mse_p


def test_gradients_flow_through_channels():
    for name in ("awgn", "rayleigh", "rayleigh-est"):
        z = torch.randn(2, 16, requires_grad=True)
        s = normalize_power(torch.complex(z[:, :8], z[:, 8:]))
        out = make_channel(name)(s, 10.0)
        out.s_hat.abs().sum().backward()
        assert z.grad is not None and torch.isfinite(z.grad).all() and z.grad.abs().sum() > 0


@pytest.mark.parametrize("bad", [torch.randn(2, 4), torch.randn(2, 3, 4, dtype=torch.complex64)])
def test_bad_symbols_rejected(bad):
    with pytest.raises(ValueError):
        AWGNChannel()(bad, 10.0)


def test_bad_snr_rejected():
    s = unit_symbols(2, 8)
    with pytest.raises(ValueError, match="snr_db"):
        AWGNChannel()(s, torch.tensor([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="NaN"):
        AWGNChannel()(s, float("nan"))
    with pytest.raises(ValueError, match="unknown channel"):
        make_channel("tdl-x")
    with pytest.raises(ValueError, match="csi"):
        RayleighBlockFading("genie")


def test_noise_variance_formula():
    assert math.isclose(float(noise_variance(torch.tensor(10.0))), 0.1, rel_tol=1e-6)


def test_reliability_weighting_is_identity_when_flat_and_shrinks_faded_symbols():
    from phy.channels import ChannelOutput, reliability_weighted

    s = torch.randn(2, 6, dtype=torch.complex64)
    flat = torch.full((2, 6), 0.3)
    assert torch.allclose(reliability_weighted(s, flat), s)
    assert ChannelOutput(s, torch.zeros(2)).decoder_symbols is s  # no per-symbol variances: unchanged
    var = torch.tensor([[0.1, 0.1, 10.0]])
    w = reliability_weighted(torch.ones(1, 3, dtype=torch.complex64), var)
    mean = (0.1 + 0.1 + 10.0) / 3  # 3.4
    assert torch.allclose(w.real, torch.tensor([[(1 + mean) / 1.1, (1 + mean) / 1.1, (1 + mean) / 11.0]]))

import math

import pytest
import torch

from phy.channels import complex_normal
from phy.ofdm import preset
from phy.papr import papr_at_ccdf, papr_db
from phy.power import normalize_power
from semcom.link import LinkConfig, OFDMLink, ofdm_for
from semcom.models import build_model


def symbols(batch=8, k=512):
    return normalize_power(complex_normal((batch, k), 1.0))


@pytest.mark.parametrize("ofdm,expected_db", [("seed-siso", 20.0), ("seed-2x2", 20.0 - 10 * math.log10(2))])
def test_awgn_perfect_csi_delivers_the_nominal_snr(ofdm, expected_db):
    torch.manual_seed(0)
    s = symbols(32)
    out = OFDMLink(LinkConfig(ofdm=preset(ofdm), channel="awgn", estimator="perfect"))(s, torch.full((32,), 20.0))
    measured = -10 * math.log10(float((out.s_hat - s).abs().square().mean()))
    assert measured == pytest.approx(expected_db, abs=0.3)
    assert float(out.snr_eff_db.mean()) == pytest.approx(expected_db, abs=0.3)


def test_reported_noise_variance_matches_measured_error():
    torch.manual_seed(1)
    s = symbols(64)
    link = OFDMLink(LinkConfig(ofdm=preset("seed-2x2"), channel="multipath", estimator="perfect", equalizer="zf"))
    out = link(s, torch.full((64,), 15.0))
    ratio = float((out.s_hat - s).abs().square().mean() / out.noise_var.mean())
    assert 0.8 < ratio < 1.25, ratio


def test_svd_precoding_beats_identity_on_rayleigh_mimo():
    torch.manual_seed(2)
    s = symbols(256)
    mse = {}
    for pre in ("identity", "svd"):
        torch.manual_seed(3)
        out = OFDMLink(LinkConfig(ofdm=preset("seed-2x2"), channel="rayleigh", estimator="perfect", precoding=pre,
                                  equalizer="lmmse"))(s, torch.full((256,), 10.0))
        mse[pre] = float((out.s_hat - s).abs().square().median())
    assert mse["svd"] < mse["identity"], mse


def test_rank_one_svd_beamforming_delivers_the_largest_singular_value_gain():
    """2x2 rank 1 with SVD precoding and ZF: the post-equalisation SNR of every RE is
    SNR * sigma_max(H)^2 (maximum-ratio transmission and combining)."""
    batch, snr_db = 64, 10.0
    link = OFDMLink(LinkConfig(ofdm=ofdm_for("2x2x1"), channel="rayleigh", estimator="perfect", precoding="svd",
                               equalizer="zf"))
    taps, _ = link.channel_taps(batch, 1, torch.Generator().manual_seed(5))  # [B, rx, tx, 1]
    sigma_max2 = torch.linalg.svdvals(taps[..., 0]).amax(dim=-1).square()  # [B]
    s = symbols(batch)
    out = link(s, torch.full((batch,), snr_db), generator=torch.Generator().manual_seed(5))
    expected = 10 ** (-snr_db / 10) / sigma_max2
    torch.testing.assert_close(out.noise_var.mean(dim=1), expected, rtol=1e-3, atol=0)
    measured = (out.s_hat - s).abs().square().mean(dim=1) / expected
    assert float(measured.mean()) == pytest.approx(1.0, abs=0.1)
    many, _ = link.channel_taps(20000, 1, torch.Generator().manual_seed(7))
    # the beamforming gain: E[sigma_max^2] of an i.i.d. 2x2 Rayleigh channel is 3.5 (5.4 dB)
    assert float(torch.linalg.svdvals(many[..., 0]).amax(dim=-1).square().mean()) == pytest.approx(3.5, rel=0.03)


@pytest.mark.parametrize("mimo", ["2x2x1", "2x2"])
def test_svd_precoding_with_estimated_csi_matches_genie_csi(mimo):
    """Precoders are phase-aligned across subcarriers, so the precoded channel stays smooth
    and the pilots' interpolation still estimates it (arbitrary per-RE phases would not)."""
    mse = {}
    for est in ("lmmse", "perfect"):
        link = OFDMLink(LinkConfig(ofdm=ofdm_for(mimo), channel="multipath", delay_spread_s=300e-9,
                                   estimator=est, precoding="svd"))
        s = symbols(16)
        out = link(s, torch.full((16,), 15.0), generator=torch.Generator().manual_seed(6))
        mse[est] = float((out.s_hat - s).abs().square().mean())
    assert mse["lmmse"] < 1.5 * mse["perfect"], mse


def test_pa_costs_snr_and_back_off_recovers_it():
    torch.manual_seed(4)
    s = symbols(16)
    err = {}
    for ibo in (0.0, 10.0):
        link = OFDMLink(LinkConfig(ofdm=preset("seed-siso"), channel="awgn", estimator="perfect", pa="rapp",
                                   ibo_db=ibo))
        err[ibo] = float((link(s, torch.full((16,), 30.0)).s_hat - s).abs().square().mean())
    assert err[0.0] > 3 * err[10.0], err


def test_clipping_lowers_papr():
    torch.manual_seed(5)
    s = symbols(64)
    cfg = preset("seed-siso")
    paprs = {}
    for clip in (None, 3.0):
        out = OFDMLink(LinkConfig(ofdm=cfg, clip_ratio_db=clip))(s, torch.full((64,), 20.0))
        paprs[clip] = papr_at_ccdf(papr_db(out.tx_signal, cfg.symbol_length, cfg.cp_length), 1e-2)
    assert paprs[3.0] < paprs[None] - 2.0, paprs


def test_gradients_flow_from_decoder_loss_to_encoder_through_pa_and_channel():
    model = build_model("cnn", channels=16, num_res=0)
    link = OFDMLink(LinkConfig(ofdm=preset("seed-2x2"), channel="multipath", pa="rapp", ibo_db=3.0,
                               estimator="ls", equalizer="lmmse"))
    x = torch.rand(2, 3, 32, 32)
    out = model(x, torch.tensor([5.0, 15.0]), link)
    torch.nn.functional.mse_loss(out["x_hat"], x).backward()
    first = model.encoder.down1.conv.weight.grad
    assert first is not None and torch.isfinite(first).all() and first.abs().sum() > 0


def test_link_runs_with_a_sionna_tdl():
    pytest.importorskip("sionna.phy")
    torch.manual_seed(6)
    s = symbols(4)
    out = OFDMLink(LinkConfig(ofdm=preset("seed-2x2"), channel="tdl-a", estimator="lmmse"))(s, torch.full((4,), 25.0))
    assert out.s_hat.shape == s.shape and torch.isfinite(out.s_hat).all()
    assert float((out.s_hat - s).abs().square().mean()) < 0.5


def test_sionna_channel_realisations_follow_the_generator():
    """A sweep's seeded generator fixes the TDL realisations too (Sionna draws from its own generators)."""
    pytest.importorskip("sionna.phy")
    s, snr = symbols(2), torch.full((2,), 20.0)
    link = OFDMLink(LinkConfig(ofdm=preset("seed-2x2"), channel="tdl-a"))

    def run(seed):
        return link(s, snr, generator=torch.Generator().manual_seed(seed)).s_hat

    a, b, c = run(1), run(1), run(2)
    assert torch.equal(a, b) and not torch.allclose(a, c)


@pytest.mark.parametrize("kw,field", [({"channel": "tdl-z"}, "channel"), ({"pa": "tube"}, "pa"),
                                      ({"ibo_db": 99.0}, "ibo_db"), ({"estimator": "genie"}, "estimator")])
def test_bad_link_config(kw, field):
    with pytest.raises(ValueError, match=f"LinkConfig.{field}"):
        LinkConfig(**kw)


def test_nan_symbols_rejected():
    s = symbols(1, 16)
    s[0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        OFDMLink(LinkConfig())(s, torch.tensor([10.0]))


@pytest.mark.parametrize("ofdm", ["seed-siso", "seed-2x2"])
def test_frequency_domain_link_equals_time_domain_within_the_cp(ofdm):
    """Static multipath shorter than the CP: OFDM diagonalises the channel, so the fast per-RE
    model and the time-domain model deliver the same symbols (noise-free)."""
    s = symbols(4)
    out = {}
    for domain in ("time", "freq"):
        torch.manual_seed(7)  # same taps
        link = OFDMLink(LinkConfig(ofdm=preset(ofdm), channel="multipath", delay_spread_s=600e-9,
                                   estimator="perfect", domain=domain))
        out[domain] = link(s, torch.full((4,), 120.0))
    torch.testing.assert_close(out["freq"].s_hat, out["time"].s_hat, atol=2e-3, rtol=0)
    torch.testing.assert_close(out["freq"].tx_signal, out["time"].tx_signal)


def test_frequency_domain_refuses_a_pa():
    with pytest.raises(ValueError, match="domain"):
        LinkConfig(domain="freq", pa="rapp")

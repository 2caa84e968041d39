import numpy as np
import pytest
import torch

from phy.channels import AWGNChannel

pytest.importorskip("sionna.phy")
from phy.digital import (TransportBlockQAM, measured_thresholds, nr_grid, parse_mcs, practical_mcs,  # noqa: E402
                         worth_trying)


def test_transport_block_round_trip_at_random_sizes():
    """Any payload: from a few bits to several code blocks (segmentation, per-block CRC)."""
    rng = np.random.default_rng(0)
    for num_symbols in [int(v) for v in rng.integers(12, 1500, 4)]:
        mcs = nr_grid()[int(rng.integers(0, len(nr_grid())))]
        try:
            chain = TransportBlockQAM(num_symbols, mcs)
        except ValueError:  # rate below 1/5 after the CRC at this tiny size
            continue
        bits = torch.from_numpy(rng.integers(0, 2, (1, chain.k))).float()
        s = chain.modulate(bits)
        assert s.shape == (1, num_symbols)
        out, ok = chain.demodulate(s, torch.full(s.shape, 1e-4))
        assert bool(ok.all()) and torch.equal(out, bits), (num_symbols, mcs)
    big = TransportBlockQAM(4600, "nr64-mcs14")  # 16-QAM, rate 0.54: two code blocks
    assert big.encoder.num_cbs == 2
    bits = torch.from_numpy(rng.integers(0, 2, (1, big.k))).float()
    s = big.modulate(bits)
    out, ok = big.demodulate(s, torch.full(s.shape, 1e-4))
    assert bool(ok.all()) and torch.equal(out, bits)


def test_bpsk_llrs_are_the_real_channel_likelihood_ratios():
    """BPSK rides on the real part of complex noise of variance no (no / 2 per part): the demapper's LLR is
    4 Re(y) / no, whatever the imaginary part holds (as SemViT's notebook demaps its PAM)."""
    chain = TransportBlockQAM(512, "ldpc1/3-bpsk")
    seen = []
    chain.decoder = lambda llr: (seen.append(llr), (torch.zeros(1, chain.k), torch.ones(1, dtype=torch.bool)))[1]
    y = torch.complex(torch.linspace(-1.0, 1.0, 512), torch.full((512,), 0.7))[None]
    chain.demodulate(y, torch.full(y.shape, 0.5))
    assert torch.allclose(seen[0].abs(), (4 * y.real / 0.5).abs(), atol=1e-3)


def test_mcs_names_and_tables():
    assert parse_mcs("nr64-mcs10").bits_per_symbol == 4
    assert parse_mcs("nr256-mcs27").bits_per_symbol == 8
    assert parse_mcs("ldpc1/3-bpsk").bits_per_symbol == 1
    effs = [m.spectral_efficiency for m in nr_grid()]
    assert effs == sorted(effs) and max(effs) > 7
    for bad in ("nr64-mcs29", "nr128-mcs1", "ldpc1/2-8psk"):
        with pytest.raises(ValueError):
            parse_mcs(bad)


def test_practical_mcs_follows_the_measured_thresholds():
    th = measured_thresholds()
    assert len(th) >= len(nr_grid())
    grid = list(nr_grid())
    for snr in (0.0, 10.0, 20.0):
        m = practical_mcs(snr, grid)
        assert th[m.name] <= snr
        assert all(th[o.name] > snr or o.spectral_efficiency <= m.spectral_efficiency for o in grid)
        assert m in worth_trying(grid, snr)
    assert practical_mcs(None, grid) == grid[0]


def _bler(name, snr_db, tbs=60):
    chain = TransportBlockQAM(512, name)
    gen = torch.Generator().manual_seed(1)
    torch.manual_seed(1)
    s = chain.modulate(torch.randint(0, 2, (tbs, chain.k), generator=gen).float())
    out = AWGNChannel()(s, torch.full((tbs,), snr_db), generator=gen)
    return 1 - float(chain.demodulate(out.s_hat, torch.full(s.shape, 10 ** (-snr_db / 10)))[1].float().mean())


@pytest.mark.parametrize("name", ["nr64-mcs5", "ldpc1/3-bpsk"])
def test_bler_waterfall_near_the_measured_threshold(name):
    """0.5 dB above the shipped threshold the BLER is low, 0.5 dB below it is high (60 TBs each)."""
    th = measured_thresholds()[name]
    assert _bler(name, th + 0.5) <= 0.1
    assert _bler(name, th - 0.5) > 0.1


@pytest.mark.slow
@pytest.mark.parametrize("name", ["nr64-mcs16", "nr64-mcs24", "nr256-mcs24"])
def test_bler_waterfall_higher_orders(name):
    th = measured_thresholds()[name]
    assert _bler(name, th + 0.5, 200) <= 0.1
    assert _bler(name, th - 0.5, 200) > 0.1


def test_link_backoff_is_interpolated_and_zero_where_unmeasured(monkeypatch, tmp_path):
    import phy.digital as digital

    table = tmp_path / "backoff.csv"
    table.write_text("# a comment\nlink,snr_est_db,backoff_db\nofdm/tdl-a/2x2x1/svd/rapp/3,10,2\n"
                     "ofdm/tdl-a/2x2x1/svd/rapp/3,20,6\n")
    read = digital.measured_backoffs.__wrapped__
    monkeypatch.setattr(digital, "measured_backoffs", lambda: read(table))
    key = digital.link_key("ofdm", "tdl-a", "2x2x1", "svd", "rapp", 3.0)
    assert key == "ofdm/tdl-a/2x2x1/svd/rapp/3"
    assert digital.link_backoff(key, 15.0) == pytest.approx(4.0)
    assert digital.link_backoff(key, 0.0) == 2.0 and digital.link_backoff(key, 30.0) == 6.0  # held at the ends
    assert digital.link_backoff(digital.link_key("flat", "awgn"), 15.0) == 0.0
    assert digital.link_backoff(None, 15.0) == 0.0


def test_link_backoff_takes_the_rows_of_the_nearest_tb_size(monkeypatch, tmp_path):
    import phy.digital as digital

    table = tmp_path / "backoff.csv"
    key = "ofdm/tdl-a/2x2x1/svd/rapp/3"
    table.write_text(f"link,snr_est_db,symbols,backoff_db\n{key},10,49152,0\n{key},20,49152,2\n"
                     f"{key},10,196608,3\n{key},20,196608,5\n")
    read = digital.measured_backoffs.__wrapped__
    monkeypatch.setattr(digital, "measured_backoffs", lambda: read(table))
    assert digital.link_backoff(key, 15.0, 40000) == pytest.approx(1.0)
    assert digital.link_backoff(key, 15.0, 196608) == pytest.approx(4.0)
    assert digital.link_backoff(key, 15.0, 98304) == pytest.approx(4.0)  # halfway on a log scale: the longer TB's
    assert digital.link_backoff(key, 15.0, 512) == pytest.approx(1.0)
    assert digital.link_backoff(key, 15.0) == pytest.approx(4.0)  # size unknown: the longest measured


def test_early_stopping_decodes_as_the_full_decoder():
    """Each code block stops once its CRC holds: the same bits and (but for a block that passes its CRC
    early and would fail it at the last iteration) the same CRC results as 20 plain iterations."""
    from sionna.phy.fec.ldpc import LDPC5GDecoder

    chain = TransportBlockQAM(4600, "nr64-mcs14")  # 16-QAM, two code blocks
    assert chain.encoder.num_cbs > 1
    snr = measured_thresholds()["nr64-mcs14"] - torch.linspace(0.0, 1.0, 20)  # across the waterfall
    gen = torch.Generator().manual_seed(2)
    torch.manual_seed(2)
    s = chain.modulate(torch.randint(0, 2, (20, chain.k), generator=gen).float())
    out = AWGNChannel()(s, snr, generator=gen)
    noise = (10 ** (-snr / 10))[:, None].expand(s.shape)
    fast, ok_fast = chain.demodulate(out.s_hat, noise)
    chain.decoder._decoder = LDPC5GDecoder(chain.encoder.ldpc_encoder, num_iter=20, hard_out=True,
                                           return_infobits=True, device="cpu")
    full, ok_full = chain.demodulate(out.s_hat, noise)
    assert 0 < int(ok_full.sum()) < 20  # some TBs fail
    assert int((ok_fast != ok_full).sum()) <= 1 and bool((ok_fast | ~ok_full).all())
    both = ok_fast & ok_full
    assert torch.equal(fast[both], full[both])

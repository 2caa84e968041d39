import math

import numpy as np
import pytest
import torch

from phy.qam import qam_ber_awgn


def test_qpsk_closed_form():
    es_n0_db = np.array([0.0, 6.0, 10.0])
    eb_n0 = 10 ** (es_n0_db / 10) / 2
    expected = 0.5 * np.vectorize(math.erfc)(np.sqrt(eb_n0))
    np.testing.assert_allclose(qam_ber_awgn(es_n0_db, 2), expected, rtol=1e-10)


def _snr_at_ber(curve_snr, curve_ber, target):
    return float(np.interp(np.log10(target), np.log10(curve_ber[::-1]), curve_snr[::-1]))


@pytest.mark.parametrize("m", [2, 4, 6, 8])
def test_uncoded_qam_ber_matches_closed_form_within_0p2_db(m):
    """Sionna's Gray QAM mapper + hard APP demapper over AWGN against Cho & Yoon, at BER 1e-3."""
    pytest.importorskip("sionna.phy")
    from sionna.phy.mapping import Demapper, Mapper

    torch.manual_seed(m)
    mapper, demapper = Mapper("qam", m), Demapper("app", "qam", m, hard_out=True)
    target = 1e-3
    snrs = np.arange(0.0, 32.0, 0.5)
    theory = qam_ber_awgn(snrs, m)
    snr_theory = _snr_at_ber(snrs, theory, target)
    grid = np.arange(snr_theory - 1.0, snr_theory + 1.01, 0.5)
    measured = []
    bits = torch.randint(0, 2, (60, 1000 * m)).float()  # 60k symbols: ~60*m errors per 1e-3 point at least
    x = mapper(bits)
    for snr in grid:
        no = 10 ** (-snr / 10)
        y = x + torch.complex(torch.randn_like(x.real), torch.randn_like(x.real)) * math.sqrt(no / 2)
        measured.append(float((demapper(y, torch.tensor(no)) != bits).float().mean()))
    snr_measured = _snr_at_ber(grid, np.array(measured), target)
    assert abs(snr_measured - snr_theory) < 0.2, (snr_measured, snr_theory)


def test_bad_order():
    with pytest.raises(ValueError):
        qam_ber_awgn(10.0, 3)


def test_scrambled_ldpc_qam_all_zero_codeword_is_not_one_point():
    pytest.importorskip("sionna.phy")
    from phy.digital import LDPCQAM

    scheme = LDPCQAM(512, "16qam", "1/2")
    s = scheme.modulate(torch.zeros(2, scheme.k))
    points = torch.unique(torch.round(torch.view_as_real(s[0]) * 1000), dim=0)
    assert len(points) > 8  # spread over the constellation
    noise = torch.full(s.shape, 1e-3)
    bits, ok = scheme.demodulate(s, noise)
    assert torch.equal(bits, torch.zeros(2, scheme.k)) and bool(ok.all())

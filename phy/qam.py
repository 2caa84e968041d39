"""Theory for square Gray-coded M-QAM over AWGN."""

from __future__ import annotations

import math

import numpy as np


def qam_ber_awgn(es_n0_db, bits_per_symbol: int) -> np.ndarray:
    """Exact bit-error rate of Gray-coded square M-QAM over AWGN (Cho & Yoon,
    IEEE Trans. Commun. 50(7), 2002), as a function of Es/N0 in dB.

    :param bits_per_symbol: even, 2 (QPSK) .. 8 (256-QAM) or more.
    """
    m = int(bits_per_symbol)
    if m < 2 or m % 2:
        raise ValueError(f"square QAM needs an even number of bits per symbol >= 2, got {m}")
    big_m = 2 ** m
    root = int(round(math.sqrt(big_m)))
    es_n0 = 10.0 ** (np.asarray(es_n0_db, dtype=float) / 10.0)
    arg = np.sqrt(3.0 * es_n0 / (2.0 * (big_m - 1)))
    total = np.zeros_like(es_n0)
    for k in range(1, m // 2 + 1):
        pk = np.zeros_like(es_n0)
        for i in range(int((1 - 2.0 ** -k) * root)):
            w = (-1) ** math.floor(i * 2 ** (k - 1) / root) * (2 ** (k - 1) - math.floor(i * 2 ** (k - 1) / root + 0.5))
            pk = pk + w * _erfc((2 * i + 1) * arg)
        total = total + pk / root
    return total / (m // 2)


def _erfc(x: np.ndarray) -> np.ndarray:
    return np.vectorize(math.erfc)(x)

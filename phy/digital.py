"""The digital baseline's PHY: 5G LDPC and Gray QAM from Sionna.

bits [B, k_info] -> LDPC -> QAM -> symbols [B, num_symbols] (unit power), and
back from equalised symbols and their per-symbol noise variance through an APP
demapper and a belief-propagation LDPC decoder. Sionna is imported on
construction only.
"""

from __future__ import annotations

import numpy as np
import torch

CODE_RATES = {"1/3": 1 / 3, "1/2": 1 / 2, "2/3": 2 / 3, "3/4": 3 / 4, "5/6": 5 / 6}
MODULATIONS = {"qpsk": 2, "16qam": 4, "64qam": 6, "256qam": 8}


class Scrambler:
    """XOR with a fixed pseudo-random sequence (known to both ends) so that no bit
    pattern (e.g. an all-zero codeword) maps every subcarrier to one QAM point.

    :param length: bits per block; ``seed`` fixes the sequence.
    """

    def __init__(self, length: int, seed: int = 0x5EED):
        rng = np.random.default_rng(seed)
        self.sequence = torch.from_numpy(rng.integers(0, 2, length).astype(np.float32))

    def scramble(self, bits: torch.Tensor) -> torch.Tensor:
        """:input bits: [..., length] of 0/1. :output: same shape."""
        return (bits + self.sequence.to(bits.device)) % 2

    def descramble_llr(self, llr: torch.Tensor) -> torch.Tensor:
        """LLRs of scrambled bits -> LLRs of the original bits (sign flipped where the sequence is 1)."""
        return llr * (1.0 - 2.0 * self.sequence.to(llr.device))


class LDPCQAM:
    """A coded-modulation scheme filling ``num_symbols`` channel uses.

    :param num_symbols: complex channel uses per codeword (e.g. the JSCC model's k).
    :param modulation: ``qpsk``, ``16qam``, ``64qam`` or ``256qam``.
    :param code_rate: ``1/3``, ``1/2``, ``2/3``, ``3/4`` or ``5/6``.
    :param num_iter: belief-propagation iterations.
    """

    def __init__(self, num_symbols: int, modulation: str = "16qam", code_rate: str = "1/2", num_iter: int = 20):
        if modulation not in MODULATIONS:
            raise ValueError(f"modulation must be one of {list(MODULATIONS)}, got {modulation!r}")
        if code_rate not in CODE_RATES:
            raise ValueError(f"code_rate must be one of {list(CODE_RATES)}, got {code_rate!r}")
        try:
            from sionna.phy.fec.ldpc import LDPC5GDecoder, LDPC5GEncoder
            from sionna.phy.mapping import Demapper, Mapper
        except ImportError as exc:
            raise ImportError("the digital baseline needs Sionna: pip install 'semcom-sdr[sionna]'") from exc
        self.name = f"ldpc{code_rate}-{modulation}"
        self.bits_per_symbol = MODULATIONS[modulation]
        self.n = int(num_symbols) * self.bits_per_symbol
        self.k = int(self.n * CODE_RATES[code_rate])
        if not 12 <= self.k <= 8448:
            raise ValueError(f"{self.name} over {num_symbols} symbols gives {self.k} information bits; "
                             "5G LDPC takes 12..8448 per codeword")
        self.encoder = LDPC5GEncoder(self.k, self.n, num_bits_per_symbol=self.bits_per_symbol)
        self.decoder = LDPC5GDecoder(self.encoder, num_iter=num_iter, hard_out=True)
        self.mapper = Mapper("qam", self.bits_per_symbol)
        self.demapper = Demapper("app", "qam", self.bits_per_symbol)
        self.scrambler = Scrambler(self.n)

    def modulate(self, bits: torch.Tensor) -> torch.Tensor:
        """:input bits: [B, k] of 0/1. :output: [B, num_symbols], complex64, unit power."""
        if bits.shape[-1] != self.k:
            raise ValueError(f"{self.name} takes {self.k} bits per codeword, got {bits.shape[-1]}")
        return self.mapper(self.scrambler.scramble(self.encoder(bits.float())))

    def demodulate(self, s_hat: torch.Tensor, noise_var: torch.Tensor) -> torch.Tensor:
        """:input s_hat, noise_var: [B, num_symbols]. :output: hard bits [B, k], float 0/1."""
        return self.decoder(self.llr(s_hat, noise_var))

    def llr(self, s_hat: torch.Tensor, noise_var: torch.Tensor) -> torch.Tensor:
        """Descrambled coded-bit LLRs (Sionna's sign: log p(1)/p(0)). :output: [B, n]."""
        return self.scrambler.descramble_llr(self.demapper(s_hat, noise_var.to(torch.float32).clamp_min(1e-6)))

    def uncoded_bits(self, s_hat: torch.Tensor, noise_var: torch.Tensor) -> torch.Tensor:
        """Hard decisions on the coded bits before decoding (for raw BER). :output: [B, n]."""
        return (self.llr(s_hat, noise_var) > 0).float()

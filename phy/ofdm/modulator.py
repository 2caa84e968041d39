"""OFDM modulation (IFFT + cyclic prefix) and demodulation (CP removal + FFT).

Same convention as Sionna's ``OFDMModulator``: a centred grid (DC at N//2),
orthonormal DFT, the last ``cp_length`` samples of each symbol prepended.
"""

from __future__ import annotations

import torch
from torch import nn


class OFDMModulator(nn.Module):
    """:input grid: [..., T, N], complex, centred subcarriers.
    :output: [..., T * (N + cp_length)], complex time-domain samples.
    """

    def __init__(self, cp_length: int):
        super().__init__()
        if cp_length < 0:
            raise ValueError(f"cp_length must be >= 0, got {cp_length}")
        self.cp_length = int(cp_length)

    def forward(self, grid: torch.Tensor) -> torch.Tensor:
        n = grid.shape[-1]
        if self.cp_length >= n:
            raise ValueError(f"cp_length ({self.cp_length}) must be smaller than the FFT size ({n})")
        x = torch.fft.ifft(torch.fft.ifftshift(grid, dim=-1), dim=-1, norm="ortho")  # [..., T, N]
        x = torch.cat([x[..., n - self.cp_length:], x], dim=-1)  # [..., T, N + cp]
        return x.flatten(-2)


class OFDMDemodulator(nn.Module):
    """:input x: [..., T * (N + cp_length)], complex.
    :output: [..., T, N], complex, centred subcarriers.
    """

    def __init__(self, fft_size: int, cp_length: int):
        super().__init__()
        if not 0 <= cp_length < fft_size:
            raise ValueError(f"need 0 <= cp_length < fft_size, got cp_length={cp_length}, fft_size={fft_size}")
        self.fft_size, self.cp_length = int(fft_size), int(cp_length)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        length = self.fft_size + self.cp_length
        if x.shape[-1] % length:
            raise ValueError(f"{x.shape[-1]} samples are not a whole number of {length}-sample OFDM symbols")
        symbols = x.unflatten(-1, (x.shape[-1] // length, length))[..., self.cp_length:]  # [..., T, N]
        return torch.fft.fftshift(torch.fft.fft(symbols, dim=-1, norm="ortho"), dim=-1)

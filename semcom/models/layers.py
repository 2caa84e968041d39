"""Layers shared by the JSCC models.

SNR conditioning is a FiLM affine whose scale and shift depend on the SNR only
(not on the features). Placed right after a convolution, at a fixed SNR it is a
per-channel affine that folds exactly into that convolution's weights and bias,
so an FPGA body stays made of plain Conv2d layers.
"""

from __future__ import annotations

import torch
from torch import nn

SNR_SCALE_DB = 20.0  # SNRs are fed to the conditioning nets as snr_db / 20


class SNRFiLM(nn.Module):
    """``y = x * (1 + gamma(snr)) + beta(snr)``, per channel.

    :input x: [batch, channels, ...] (images) or [batch, tokens, channels] with ``channel_last=True``.
    :input snr_db: [batch], real.
    :output: same shape as ``x``.
    """

    def __init__(self, channels: int, hidden: int = 64, channel_last: bool = False):
        super().__init__()
        self.channel_last = channel_last
        self.net = nn.Sequential(nn.Linear(1, hidden), nn.ReLU(), nn.Linear(hidden, 2 * channels))
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)

    def affine(self, snr_db: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-channel (scale, shift), each [batch, channels]."""
        gamma, beta = self.net((snr_db / SNR_SCALE_DB).unsqueeze(-1)).chunk(2, dim=-1)
        return 1.0 + gamma, beta

    def forward(self, x: torch.Tensor, snr_db: torch.Tensor) -> torch.Tensor:
        scale, shift = self.affine(snr_db)
        if self.channel_last:
            return x * scale.unsqueeze(1) + shift.unsqueeze(1)
        view = (x.shape[0], x.shape[1]) + (1,) * (x.dim() - 2)
        return x * scale.view(view) + shift.view(view)


class ConvFiLM(nn.Module):
    """Conv2d -> SNR FiLM -> activation (ReLU, or none).

    :input x: [batch, in_ch, H, W]; :input snr_db: [batch].
    :output: [batch, out_ch, H / stride, W / stride].
    """

    def __init__(self, in_ch: int, out_ch: int, kernel: int = 3, stride: int = 1,
                 act: bool = True, upsample: bool = False):
        super().__init__()
        self.upsample = nn.Upsample(scale_factor=2, mode="nearest") if upsample else nn.Identity()
        self.conv = nn.Conv2d(in_ch, out_ch, kernel, stride=stride, padding=kernel // 2)
        self.film = SNRFiLM(out_ch)
        self.act = nn.ReLU() if act else nn.Identity()

    def forward(self, x: torch.Tensor, snr_db: torch.Tensor) -> torch.Tensor:
        return self.act(self.film(self.conv(self.upsample(x)), snr_db))


class ResBlock(nn.Module):
    """Two ConvFiLM layers with an identity skip: ``relu(x + f(x))``.

    :input x: [batch, ch, H, W]; :input snr_db: [batch]. :output: [batch, ch, H, W].
    """

    def __init__(self, ch: int):
        super().__init__()
        self.a = ConvFiLM(ch, ch)
        self.b = ConvFiLM(ch, ch, act=False)

    def forward(self, x: torch.Tensor, snr_db: torch.Tensor) -> torch.Tensor:
        return torch.relu(x + self.b(self.a(x, snr_db), snr_db))

"""The CNN bodies at one SNR as plain Conv2d networks (what hls4ml converts).

SNR FiLM is ``y = conv(x) * scale(snr) + shift(snr)`` per output channel, with
scale and shift depending on the SNR only. At a fixed SNR this is an exact
per-channel affine after a convolution, so it folds into that convolution:
``W' = W * scale[:, None, None, None]``, ``b' = b * scale + shift``. The folded
bodies contain only Conv2d, ReLU, nearest Upsample, identity adds and a final
Sigmoid, all of which hls4ml 1.3's PyTorch front end takes; the FiLM MLP (a
Linear on a scalar) and the per-image SNR input would otherwise need a second
input stream and a broadcast multiply hls4ml does not provide for io_stream.
The price: one bitstream (or one weight set) per operating SNR; a receiver
switches between a few folded weight sets (e.g. every 5 dB) as its SNR
estimate moves.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from semcom.models.cnn import CNNDecoder, CNNEncoder, CNNJSCC
from semcom.models.layers import ConvFiLM, ResBlock


def fold_conv(block: ConvFiLM, snr_db: float) -> nn.Conv2d:
    """A Conv2d equal to ``block.film(block.conv(x), snr_db)`` (no upsampling, no activation)."""
    with torch.no_grad():
        scale, shift = block.film.affine(torch.tensor([float(snr_db)]))  # [1, out], [1, out]
        conv = copy.deepcopy(block.conv)
        conv.weight.mul_(scale[0].view(-1, 1, 1, 1))
        conv.bias.mul_(scale[0]).add_(shift[0])
    return conv


class FoldedConv(nn.Module):
    """[nearest Upsample x2] -> Conv2d (FiLM folded in) -> [ReLU].

    :input x: [B, in, H, W]. :output: [B, out, H', W'].
    """

    def __init__(self, block: ConvFiLM, snr_db: float):
        super().__init__()
        self.upsample = block.upsample if isinstance(block.upsample, nn.Upsample) else None
        self.conv = fold_conv(block, snr_db)
        self.relu = nn.ReLU() if isinstance(block.act, nn.ReLU) else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.upsample is not None:
            x = self.upsample(x)
        x = self.conv(x)
        return self.relu(x) if self.relu is not None else x


class FoldedResBlock(nn.Module):
    """``relu(x + b(a(x)))`` with folded convolutions. :input x: [B,C,H,W]. :output: [B,C,H,W]."""

    def __init__(self, block: ResBlock, snr_db: float):
        super().__init__()
        self.a = FoldedConv(block.a, snr_db)
        self.b = FoldedConv(block.b, snr_db)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(x + self.b(self.a(x)))


def fold_stages(stages: list[nn.Module], snr_db: float) -> nn.Sequential:
    """A CNN body's SNR-conditioned stages (``ConvFiLM`` or ``ResBlock``) folded at ``snr_db``, in order."""
    return nn.Sequential(*[FoldedResBlock(s, snr_db) if isinstance(s, ResBlock) else FoldedConv(s, snr_db)
                           for s in stages])


class FoldedEncoder(nn.Module):
    """:input x: [B,3,H,W] in [0,1]. :output: [B, reals_per_block, H/4, W/4] (before power normalisation)."""

    def __init__(self, enc: CNNEncoder, snr_db: float):
        super().__init__()
        self.layers = fold_stages(enc.stages(), snr_db)
        self.head = copy.deepcopy(enc.head)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.layers(x))


class FoldedDecoder(nn.Module):
    """:input z: [B, reals_per_block, h, w] received latent. :output: [B,3,4h,4w] in [0,1]."""

    def __init__(self, dec: CNNDecoder, snr_db: float):
        super().__init__()
        self.layers = fold_stages(dec.stages(), snr_db)
        self.out = copy.deepcopy(dec.out)
        self.sigmoid = nn.Sigmoid()

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.sigmoid(self.out(self.layers(z)))


def fold_cnn(model: CNNJSCC, snr_db: float) -> tuple[FoldedEncoder, FoldedDecoder]:
    """The encoder and decoder bodies of a CNN model with SNR FiLM folded in at ``snr_db``."""
    if not isinstance(model, CNNJSCC):
        raise ValueError(f"the FPGA path takes the CNN family only, got arch {model.arch!r}")
    return FoldedEncoder(model.encoder, snr_db).eval(), FoldedDecoder(model.decoder, snr_db).eval()

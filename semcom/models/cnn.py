"""CNN deep-JSCC (DeepJSCC family) with SNR-FiLM conditioning.

The body uses only layers that hls4ml 1.3 converts: Conv2d, nearest Upsample +
Conv2d, ReLU and Sigmoid, plus identity skips. SNR conditioning is a per-channel
affine after each convolution (foldable into it at a fixed SNR); power
normalisation lives outside the body in :class:`~semcom.models.base.JSCCModel`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from .base import JSCCModel
from .layers import ConvFiLM, ResBlock


def run_stages(stages: list[nn.Module], h: torch.Tensor, snr_db: torch.Tensor) -> torch.Tensor:
    """``h`` through each SNR-conditioned stage in turn. :input h: [B,C,H,W]; snr_db [B]."""
    for stage in stages:
        h = stage(h, snr_db)
    return h


class CNNEncoder(nn.Module):
    """:input x: [B,3,H,W], H and W multiples of 4; snr_db [B].
    :output: [B, reals_per_block, H/4, W/4], real."""

    def __init__(self, out_ch: int, channels: int, num_res: int, num_res_mid: int = 0):
        super().__init__()
        self.down1 = ConvFiLM(3, channels, kernel=5, stride=2)
        self.res_mid = nn.ModuleList(ResBlock(channels) for _ in range(num_res_mid))
        self.down2 = ConvFiLM(channels, channels, kernel=5, stride=2)
        self.res = nn.ModuleList(ResBlock(channels) for _ in range(num_res))
        self.head = nn.Conv2d(channels, out_ch, 3, padding=1)

    def stages(self) -> list[nn.Module]:
        """The SNR-conditioned stages (each ``stage(h, snr_db)``) in order, before the head."""
        return [self.down1, *self.res_mid, self.down2, *self.res]

    def forward(self, x: torch.Tensor, snr_db: torch.Tensor) -> torch.Tensor:
        return self.head(run_stages(self.stages(), x, snr_db))


class CNNDecoder(nn.Module):
    """:input z: [B, reals_per_block, h, w], real; snr_db [B].
    :output: [B,3,4h,4w] in [0,1]."""

    def __init__(self, in_ch: int, channels: int, num_res: int, num_res_mid: int = 0):
        super().__init__()
        self.stem = ConvFiLM(in_ch, channels)
        self.res = nn.ModuleList(ResBlock(channels) for _ in range(num_res))
        self.up1 = ConvFiLM(channels, channels, upsample=True)
        self.res_mid = nn.ModuleList(ResBlock(channels) for _ in range(num_res_mid))
        self.up2 = ConvFiLM(channels, channels // 2, upsample=True)
        self.out = nn.Conv2d(channels // 2, 3, 3, padding=1)

    def stages(self) -> list[nn.Module]:
        """The SNR-conditioned stages (each ``stage(h, snr_db)``) in order, before the output convolution."""
        return [self.stem, *self.res, self.up1, *self.res_mid, self.up2]

    def forward(self, z: torch.Tensor, snr_db: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.out(run_stages(self.stages(), z, snr_db)))


def narrower_latent(reals_from: int, reals_to: int) -> torch.Tensor:
    """Indices of the latent channels a model with ``reals_to`` real channels per block keeps from one
    with ``reals_from``: the first ones of each half (the latent's first half is the symbols' real
    parts, the second half their imaginary parts), so real and imaginary parts stay paired."""
    if not 0 < reals_to <= reals_from or reals_to % 2 or reals_from % 2:
        raise ValueError(f"cannot narrow {reals_from} latent channels to {reals_to}")
    half_from, half_to = reals_from // 2, reals_to // 2
    return torch.cat([torch.arange(half_to), half_from + torch.arange(half_to)])


@dataclass(frozen=True)
class CNNConfig:
    """Hyperparameters of :class:`CNNJSCC`, validated on construction.

    :param ratio: bandwidth ratio k/n. :param channels: feature channels (even, >= 2).
    :param num_res: residual blocks at H/4 x W/4 in the encoder and in the decoder.
    :param num_res_mid: residual blocks at H/2 x W/2 in each.
    :param snr_range_db: (low, high) SNR range the model is trained for, in dB.
    """

    ratio: str = "1/6"
    channels: int = 96
    num_res: int = 2
    num_res_mid: int = 0
    snr_range_db: tuple[float, float] = (0.0, 20.0)

    def __post_init__(self):
        if self.channels < 2 or self.channels % 2:
            raise ValueError(f"channels must be an even number >= 2, got {self.channels}")
        if self.num_res < 0 or self.num_res_mid < 0:
            raise ValueError(f"num_res and num_res_mid must be >= 0, got {self.num_res}, {self.num_res_mid}")


class CNNJSCC(JSCCModel):
    """Fully convolutional deep-JSCC: any H x W (padded to a multiple of 4).

    Built from a :class:`CNNConfig` or its fields as keyword arguments. Shapes (from
    :class:`~semcom.models.base.JSCCModel`): ``encode(x [B,3,H,W] in [0,1], snr_db [B])`` -> symbols
    [B,k] complex64, unit power; ``decode(s_hat [B,k], snr_db [B], (H, W))`` -> [B,3,H,W] in [0,1]."""

    arch = "cnn"
    granularity = 4
    config_class = CNNConfig

    def __init__(self, cfg: CNNConfig | None = None, **kwargs):
        cfg = cfg or CNNConfig(**kwargs)
        super().__init__(ratio=cfg.ratio, snr_range_db=cfg.snr_range_db)
        self.hparams = cfg
        self.encoder = CNNEncoder(self.reals_per_block, cfg.channels, cfg.num_res, cfg.num_res_mid)
        self.decoder = CNNDecoder(self.reals_per_block, cfg.channels, cfg.num_res, cfg.num_res_mid)

    def extra_config(self) -> dict:
        return {k: v for k, v in asdict(self.hparams).items() if k not in ("ratio", "snr_range_db")}

    def load_narrower(self, wider: "CNNJSCC") -> None:
        """Start from a CNN of the same shape and a larger ratio: every weight is copied, and the two
        convolutions at the channel (the encoder head's outputs, the decoder stem's inputs) keep the
        latent channels this ratio sends (:func:`narrower_latent`), so the new model starts by sending a
        subset of the wider one's symbols (rate adaptation by truncation, then fine-tuned)."""
        keep = narrower_latent(wider.reals_per_block, self.reals_per_block)
        state = dict(wider.state_dict())
        state["encoder.head.weight"] = state["encoder.head.weight"][keep]
        state["encoder.head.bias"] = state["encoder.head.bias"][keep]
        state["decoder.stem.conv.weight"] = state["decoder.stem.conv.weight"][:, keep]
        self.load_state_dict(state)

    def encode_latent(self, x, snr_db):
        return self.encoder(x, snr_db).flatten(1)  # [B, r*h*w]: first half real, second imaginary

    def decode_latent(self, z, snr_db, padded):
        h, w = padded[0] // 4, padded[1] // 4
        return self.decoder(z.view(z.shape[0], self.reals_per_block, h, w), snr_db)

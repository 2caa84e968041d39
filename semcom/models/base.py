"""The deep-JSCC model contract shared by the CNN and the ViT.

A model maps images to unit-power complex channel symbols and back:

``encode(x [B,3,H,W] in [0,1], snr_db [B]) -> s [B,k] complex64, E|s|^2 = 1``
``decode(s_hat [B,k], snr_db [B], (H, W)) -> x_hat [B,3,H,W]``

The bandwidth ratio k/n counts complex channel uses k per real source value
n = 3*H*W; at 1/6 a 32x32 RGB image becomes 512 complex symbols. Both models
work on 4x4 pixel blocks (48 source values), so each block carries
``96 * ratio`` real numbers; images of any size are padded (edge replicate) to
the model's granularity and cropped back after decoding.
"""

from __future__ import annotations

import warnings
from fractions import Fraction

import torch
from torch import nn
from torch.nn import functional as F

from phy.power import complex_to_real, normalize_power, real_to_complex

BLOCK = 4  # both bodies downsample by 4 in each direction


def parse_ratio(ratio) -> Fraction:
    """Parse a bandwidth ratio given as ``"1/6"``, ``Fraction`` or float."""
    try:
        frac = Fraction(ratio).limit_denominator(1000) if not isinstance(ratio, str) else Fraction(ratio)
    except (ValueError, ZeroDivisionError) as exc:
        raise ValueError(f"ratio must look like '1/6', got {ratio!r}") from exc
    if not 0 < frac <= 1:
        raise ValueError(f"ratio must be in (0, 1], got {ratio!r}")
    reals = 2 * 3 * BLOCK * BLOCK * frac
    if reals.denominator != 1:
        raise ValueError(
            f"ratio {frac} gives {float(reals):g} real values per {BLOCK}x{BLOCK} block; "
            "it must be a whole number (e.g. 1/6, 1/12, 1/24, 1/3)")
    return frac


def check_images(x: torch.Tensor) -> None:
    """Raise ValueError unless ``x`` is a float [B,3,H,W] batch in [0, 1]."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"images must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() != 4 or x.shape[1] != 3:
        raise ValueError(f"images must have shape [batch, 3, H, W], got {tuple(x.shape)}")
    if not x.is_floating_point():
        raise ValueError(f"images must be float in [0, 1], got dtype {x.dtype}")
    if x.shape[2] < 1 or x.shape[3] < 1:
        raise ValueError(f"image size must be positive, got {tuple(x.shape[2:])}")


def as_snr_tensor(snr_db, batch: int, device) -> torch.Tensor:
    """Broadcast a scalar or [batch] SNR to a float tensor [batch]."""
    snr = torch.as_tensor(snr_db, dtype=torch.float32, device=device)
    if snr.dim() == 0:
        snr = snr.expand(batch)
    if snr.shape != (batch,):
        raise ValueError(f"snr_db must be a scalar or have shape [{batch}], got {tuple(snr.shape)}")
    return snr


class JSCCModel(nn.Module):
    """Base class: padding, power normalisation and the channel in the middle.

    Subclasses set ``arch`` and ``granularity`` and implement ``encode_latent``
    (padded images -> [B, 2k] real) and ``decode_latent`` (the inverse).
    """

    arch: str = ""
    granularity: int = BLOCK

    def __init__(self, ratio="1/6", snr_range_db=(0.0, 20.0)):
        super().__init__()
        self.ratio = parse_ratio(ratio)
        lo, hi = float(snr_range_db[0]), float(snr_range_db[1])
        if not lo < hi:
            raise ValueError(f"snr_range_db must be (low, high) with low < high, got {snr_range_db!r}")
        self.snr_range_db = (lo, hi)
        self.reals_per_block = int(2 * 3 * BLOCK * BLOCK * self.ratio)

    # -- configuration -----------------------------------------------------------
    def config(self) -> dict:
        """Constructor keyword arguments that rebuild this model."""
        return {"ratio": str(self.ratio), "snr_range_db": list(self.snr_range_db), **self.extra_config()}

    def extra_config(self) -> dict:
        return {}

    def warn_if_outside_snr_range(self, snrs_db) -> None:
        """Warn (once per call) about SNRs the model was not trained for."""
        lo, hi = self.snr_range_db
        outside = [float(s) for s in snrs_db if not lo <= float(s) <= hi]
        if outside:
            warnings.warn(f"SNR {outside} dB outside the model's trained range {lo:g}..{hi:g} dB", stacklevel=3)

    def padded_size(self, height: int, width: int) -> tuple[int, int]:
        g = self.granularity
        return -(-height // g) * g, -(-width // g) * g

    def num_symbols(self, height: int, width: int) -> int:
        """Complex channel symbols k for one H x W image."""
        hp, wp = self.padded_size(height, width)
        return (hp // BLOCK) * (wp // BLOCK) * self.reals_per_block // 2

    # -- the two halves ----------------------------------------------------------
    def encode(self, x: torch.Tensor, snr_db) -> torch.Tensor:
        """:input x: [B,3,H,W] in [0,1]. :output: [B,k] complex64 with E|s|^2 = 1."""
        check_images(x)
        snr = as_snr_tensor(snr_db, x.shape[0], x.device)
        hp, wp = self.padded_size(x.shape[2], x.shape[3])
        if (hp, wp) != tuple(x.shape[2:]):
            x = F.pad(x, (0, wp - x.shape[3], 0, hp - x.shape[2]), mode="replicate")
        z = self.encode_latent(x, snr).float()  # [B, 2k]; float32 also when the body ran under autocast
        return normalize_power(real_to_complex(z))

    def decode(self, s_hat: torch.Tensor, snr_db, image_size: tuple[int, int]) -> torch.Tensor:
        """:input s_hat: [B,k] complex. :output: [B,3,H,W] in [0,1]."""
        height, width = int(image_size[0]), int(image_size[1])
        expected = self.num_symbols(height, width)
        if not s_hat.is_complex() or s_hat.dim() != 2 or s_hat.shape[1] != expected:
            raise ValueError(
                f"decode expects complex [batch, {expected}] symbols for a {height}x{width} image, "
                f"got {tuple(s_hat.shape)} {s_hat.dtype}")
        snr = as_snr_tensor(snr_db, s_hat.shape[0], s_hat.device)
        hp, wp = self.padded_size(height, width)
        x_hat = self.decode_latent(complex_to_real(s_hat), snr, (hp, wp))
        return x_hat[:, :, :height, :width].float()

    def forward(self, x: torch.Tensor, snr_db, channel: nn.Module) -> dict:
        """Image -> symbols -> ``channel`` -> image.

        :output: dict with ``x_hat`` [B,3,H,W], ``symbols`` [B,k] complex,
            ``snr_eff_db`` [B] (the SNR the decoder was told) and ``tx_signal``
            (the channel's transmitted waveform [B, tx, samples], or None).
        """
        s = self.encode(x, snr_db)
        out = channel(s, as_snr_tensor(snr_db, x.shape[0], x.device))
        x_hat = self.decode(out.decoder_symbols, out.snr_eff_db, x.shape[2:])
        return {"x_hat": x_hat, "symbols": s, "snr_eff_db": out.snr_eff_db, "tx_signal": out.tx_signal}

    def encode_latent(self, x: torch.Tensor, snr_db: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def decode_latent(self, z: torch.Tensor, snr_db: torch.Tensor, padded: tuple[int, int]) -> torch.Tensor:
        raise NotImplementedError

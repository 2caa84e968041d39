"""Image quality metrics per image: PSNR, SSIM and MS-SSIM (torchmetrics)."""

from __future__ import annotations

import torch

MS_SSIM_MIN_SIDE = 161  # five scales of an 11-tap window need > (11 - 1) * 2**4 pixels


def mse(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean squared error per image. :input x, y: [B,C,H,W]. :output: [B]."""
    if x.shape != y.shape:
        raise ValueError(f"shape mismatch: {tuple(x.shape)} vs {tuple(y.shape)}")
    return (x.float() - y.float()).square().flatten(1).mean(dim=1)


def psnr(x: torch.Tensor, y: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    """PSNR in dB per image, ``10 log10(range^2 / MSE)``; identical images give +inf."""
    return 10.0 * torch.log10(data_range ** 2 / mse(x, y))


def ssim(x: torch.Tensor, y: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    """SSIM per image (Gaussian window 11, sigma 1.5), values in [-1, 1]. :output: [B]."""
    from torchmetrics.functional.image import structural_similarity_index_measure

    return structural_similarity_index_measure(x.float(), y.float(), data_range=data_range, reduction="none")


def ms_ssim(x: torch.Tensor, y: torch.Tensor, data_range: float = 1.0) -> torch.Tensor | None:
    """MS-SSIM per image, or None when images are too small for five scales."""
    if min(x.shape[-2:]) < MS_SSIM_MIN_SIDE:
        return None
    from torchmetrics.functional.image import multiscale_structural_similarity_index_measure

    return multiscale_structural_similarity_index_measure(
        x.float(), y.float(), data_range=data_range, reduction="none")

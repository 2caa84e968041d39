import math

import pytest
import torch

from semcom.metrics import ms_ssim, psnr, ssim


def test_psnr_hand_computed():
    x = torch.zeros(2, 3, 8, 8)
    y = x.clone()
    y[0] += 0.1  # MSE 0.01 -> 20 dB
    y[1, :, :4] = 0.5  # half the pixels off by 0.5: MSE 0.125 -> 9.0309 dB
    torch.testing.assert_close(psnr(y, x), torch.tensor([20.0, 10 * math.log10(8)]), rtol=0, atol=1e-4)


def test_psnr_identical_is_infinite_and_shapes_checked():
    x = torch.rand(1, 3, 4, 4)
    assert math.isinf(float(psnr(x, x)))
    with pytest.raises(ValueError):
        psnr(x, torch.rand(1, 3, 4, 5))


def test_ssim_bounds_and_ordering():
    x = torch.rand(2, 3, 32, 32)
    assert torch.allclose(ssim(x, x), torch.ones(2), atol=1e-5)
    small = ssim((x + 0.02 * torch.randn_like(x)).clamp(0, 1), x)
    big = ssim((x + 0.3 * torch.randn_like(x)).clamp(0, 1), x)
    assert (small > big).all()


def test_ms_ssim_only_for_large_images():
    assert ms_ssim(torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32)) is None
    x = torch.rand(1, 3, 176, 176)
    torch.testing.assert_close(ms_ssim(x, x), torch.ones(1), atol=1e-4, rtol=0)

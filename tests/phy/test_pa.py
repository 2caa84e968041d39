import math

import pytest
import torch

from phy.pa import (MemoryPolynomialPA, RappPA, SalehPA, SoftLimiter, make_pa, rapp_am_am, saleh_am_am,
                    saleh_am_pm)


def constant_envelope(amplitude: float, n: int = 64) -> torch.Tensor:
    phase = torch.linspace(0, 2 * math.pi, n)
    return amplitude * torch.polar(torch.ones(n), phase)


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, 10.0])
@pytest.mark.parametrize("ibo", [-3.0, 0.0, 3.0, 6.0])
def test_rapp_am_am_matches_formula(p, ibo):
    x = constant_envelope(0.7)
    y = RappPA(ibo, smoothness=p)(x)
    r = 10 ** (-ibo / 20)  # input amplitude the curve sees
    expected = 0.7 * (r / (1 + r ** (2 * p)) ** (1 / (2 * p))) / r
    torch.testing.assert_close(y.abs(), torch.full((64,), expected), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(torch.angle(y * x.conj()), torch.zeros(64), atol=1e-5, rtol=0)  # no AM/PM


def test_rapp_curve_limits():
    r = torch.linspace(0, 5, 101)
    assert torch.all(rapp_am_am(r, 3.0) <= 1.0)
    torch.testing.assert_close(rapp_am_am(torch.tensor(1.0), 3.0), torch.tensor(2 ** (-1 / 6)))
    torch.testing.assert_close(rapp_am_am(r, 200.0), r.clamp_max(1.0), atol=1e-2, rtol=0)  # -> soft limiter


@pytest.mark.parametrize("ibo", [0.0, 6.0])
def test_saleh_am_am_and_am_pm_match_formula(ibo):
    x = constant_envelope(2.0)
    y = SalehPA(ibo)(x)
    u = 10 ** (-ibo / 20)
    r = u / math.sqrt(1.1517)
    amp = (2.1587 * r / (1 + 1.1517 * r ** 2)) / (2.1587 / math.sqrt(1.1517))
    torch.testing.assert_close(y.abs(), torch.full((64,), 2.0 * amp / u), rtol=1e-5, atol=1e-6)
    phase = 4.0033 * r ** 2 / (1 + 9.1040 * r ** 2)
    torch.testing.assert_close(torch.angle(y * x.conj()), torch.full((64,), phase), atol=1e-5, rtol=0)
    # the published curve itself
    assert float(saleh_am_am(torch.tensor(1 / math.sqrt(1.1517)))) == pytest.approx(2.1587 / (2 * math.sqrt(1.1517)))
    assert float(saleh_am_pm(torch.tensor(1e3))) == pytest.approx(4.0033 / 9.1040, rel=1e-4)


def test_soft_limiter_clips_at_saturation():
    x = torch.complex(torch.randn(4, 1000), torch.randn(4, 1000))
    y = SoftLimiter(0.0)(x)
    scale = torch.sqrt(1.0 / x.abs().square().mean(-1, keepdim=True))
    assert torch.all((y * scale).abs() <= 1.0 + 1e-5)
    small = (x * scale).abs() < 1.0
    torch.testing.assert_close(y[small], x[small])


@pytest.mark.parametrize("name", ["rapp", "saleh", "soft-limiter", "memory-polynomial"])
def test_large_back_off_is_nearly_linear(name):
    x = torch.complex(torch.randn(2, 4096), torch.randn(2, 4096)) / math.sqrt(2)
    y = make_pa(name, ibo_db=35.0)(x)
    lin = x
    if name == "memory-polynomial":  # its linear part has memory: compare with that FIR
        c = MemoryPolynomialPA.DEFAULT
        lin = sum(c[0][m] * torch.nn.functional.pad(x, (m, 0))[..., :4096] for m in range(3))
    nmse_db = 10 * math.log10(float((y - lin).abs().square().mean() / lin.abs().square().mean()))
    assert nmse_db < -40.0, nmse_db


def test_memory_polynomial_matches_hand_computation():
    coeffs = [[1.0, 0.5], [0.1j, 0.0]]  # y[n] = x[n] + 0.5 x[n-1] + 0.1j x[n] |x[n]|^2
    x = torch.tensor([[1.0 + 0j, 0.5j, -0.25]], dtype=torch.complex64)
    pa = MemoryPolynomialPA(ibo_db=0.0, coefficients=coeffs)
    scale = 1 / math.sqrt(float(x.abs().square().mean()))
    u = x * scale
    expected = (u + 0.5 * torch.nn.functional.pad(u, (1, 0))[..., :3] + 0.1j * u * u.abs() ** 2) / scale
    torch.testing.assert_close(pa(x), expected)


def test_more_back_off_means_less_distortion():
    x = torch.complex(torch.randn(1, 8192), torch.randn(1, 8192)) / math.sqrt(2)
    err = [float((RappPA(ibo)(x) - x).abs().square().mean()) for ibo in (0.0, 3.0, 6.0, 9.0)]
    assert err == sorted(err, reverse=True)


def test_gradients_through_pa():
    z = torch.randn(2, 256, requires_grad=True)
    x = torch.complex(z[:, :128], z[:, 128:])
    for name in ("rapp", "saleh", "soft-limiter", "memory-polynomial"):
        z.grad = None
        make_pa(name, 3.0)(x).abs().sum().backward(retain_graph=True)
        assert torch.isfinite(z.grad).all() and z.grad.abs().sum() > 0


@pytest.mark.parametrize("kw", [{"name": "tube"}, {"name": "rapp", "ibo_db": 80.0}])
def test_bad_pa_arguments(kw):
    with pytest.raises(ValueError):
        make_pa(**kw)

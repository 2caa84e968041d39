import math

import pytest
import torch

from phy.channels import complex_normal
from phy.power import normalize_power
from phy.prior import PriorRegularizer, fit_student_t, standardized_components


def t_symbols(nu: float, n: int = 20000) -> torch.Tensor:
    d = torch.distributions.StudentT(nu)
    return normalize_power(torch.complex(d.sample((1, n)), d.sample((1, n))))


@pytest.mark.parametrize("nu", [3.0, 5.0, 10.0])
def test_fit_recovers_nu(nu):
    torch.manual_seed(0)
    x = torch.distributions.StudentT(nu).sample((40000,)) * 0.7
    fit = fit_student_t(x)
    assert fit["nu"] == pytest.approx(nu, rel=0.25)
    assert fit["scale"] == pytest.approx(0.7, rel=0.08)
    assert fit["loglik"] > fit["gaussian_loglik"]


def test_fit_of_gaussian_gives_large_nu():
    torch.manual_seed(1)
    assert fit_student_t(torch.randn(40000))["nu"] > 30


def test_gaussian_symbols_are_close_to_gaussian_prior():
    torch.manual_seed(2)
    reg = PriorRegularizer("gaussian")
    gauss = float(reg(normalize_power(complex_normal((1, 20000), 1.0))))
    heavy = float(reg(t_symbols(3.0)))
    assert gauss < 2e-3 and heavy > 5 * gauss


def test_student_t_prior_prefers_student_t_symbols():
    torch.manual_seed(3)
    reg = PriorRegularizer("student-t", nu=4.0)
    assert float(reg(t_symbols(4.0))) < float(reg(normalize_power(complex_normal((1, 20000), 1.0))))


def test_target_quantiles_have_unit_variance():
    for reg in (PriorRegularizer("gaussian"), PriorRegularizer("student-t", nu=6.0)):
        q = reg.quantiles(200000)
        assert float(q.square().mean()) == pytest.approx(1.0, rel=0.03)
        assert abs(float(q.mean())) < 1e-3


def test_gradient_descent_on_the_regulariser_makes_symbols_gaussian():
    torch.manual_seed(4)
    z = torch.distributions.StudentT(3.0).sample((2, 4000)).requires_grad_(True)
    reg = PriorRegularizer("gaussian")
    opt = torch.optim.Adam([z], lr=0.2)
    for _ in range(300):
        loss = reg(normalize_power(torch.complex(z[:1], z[1:])))
        opt.zero_grad()
        loss.backward()
        opt.step()
    x = standardized_components(normalize_power(torch.complex(z[:1], z[1:]))).detach()
    kurtosis = float((x ** 4).mean() / (x ** 2).mean() ** 2)
    assert abs(kurtosis - 3.0) < 0.3  # Gaussian kurtosis is 3; t(3) has none


def test_bad_prior_arguments():
    with pytest.raises(ValueError):
        PriorRegularizer("laplace")
    with pytest.raises(ValueError):
        PriorRegularizer("student-t", nu=2.0)
    with pytest.raises(ValueError):
        fit_student_t(torch.tensor([1.0, math.nan] * 10))

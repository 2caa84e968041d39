import pytest
import torch

from phy.power import complex_to_real, normalize_power, real_to_complex


def test_real_complex_round_trip():
    z = torch.randn(3, 10)
    s = real_to_complex(z)
    assert s.dtype == torch.complex64 and s.shape == (3, 5)
    assert torch.equal(s.real, z[:, :5]) and torch.equal(s.imag, z[:, 5:])
    assert torch.equal(complex_to_real(s), z)


def test_odd_length_rejected():
    with pytest.raises(ValueError, match="even"):
        real_to_complex(torch.randn(2, 7))


def test_unit_average_power_per_row():
    s = torch.randn(4, 100, dtype=torch.complex64) * torch.tensor([[0.1], [1.0], [5.0], [30.0]])
    p = normalize_power(s).abs().square().mean(dim=1)
    torch.testing.assert_close(p, torch.ones(4), rtol=1e-5, atol=1e-5)


def test_real_input_rejected():
    with pytest.raises(TypeError):
        normalize_power(torch.randn(2, 4))

"""Average-power normalisation of complex channel symbols."""

from __future__ import annotations

import torch


def real_to_complex(z: torch.Tensor) -> torch.Tensor:
    """Pair the two halves of the last dimension into complex symbols.

    :input z: [..., 2k], real. The first k values are the in-phase parts,
        the last k the quadrature parts.
    :output: [..., k], complex64.
    """
    if z.shape[-1] % 2:
        raise ValueError(f"real_to_complex: last dimension must be even, got {z.shape[-1]}")
    re, im = z.float().chunk(2, dim=-1)
    return torch.complex(re.contiguous(), im.contiguous())


def complex_to_real(s: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`real_to_complex`.

    :input s: [..., k], complex.
    :output: [..., 2k], real.
    """
    return torch.cat([s.real, s.imag], dim=-1)


def normalize_power(s: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """Scale each row to unit average power, E|s|^2 = 1.

    :input s: [batch, k], complex.
    :output: [batch, k], complex, with ``mean(|s|^2, dim=-1) == 1``.
    """
    if not s.is_complex():
        raise TypeError("normalize_power expects complex symbols")
    power = s.real.square().add(s.imag.square()).mean(dim=-1, keepdim=True)
    return s * torch.rsqrt(power + eps)

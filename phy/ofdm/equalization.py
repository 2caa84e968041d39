"""Per-RE MIMO equalisation: zero forcing (ZF) and LMMSE.

Both return the symbol estimates and the per-symbol effective noise variance,
which the SNR-conditioned decoder (and a demapper) need. Channel-estimation
error enters as extra white noise: ``N0_eff = N0 + sum_streams err_var``.
"""

from __future__ import annotations

import torch
from torch import nn


def _per_re(y: torch.Tensor, h: torch.Tensor):
    """[B, rx, T, N] and [B, rx, streams, T, N] -> [B, T, N, rx, 1] and [B, T, N, rx, streams]."""
    return y.permute(0, 2, 3, 1).unsqueeze(-1), h.permute(0, 3, 4, 1, 2)


class Equalizer(nn.Module):
    """ZF or LMMSE equalisation of every RE.

    :input y: [batch, rx, T, N], complex: received grid.
    :input h: [batch, rx, streams, T, N], complex: (estimated) effective channel.
    :input n0: [batch] or scalar, or [batch, N] per subcarrier: noise (plus interference)
        variance per RE and receive antenna.
    :input err_var: [batch, streams, T, N] or None: channel-estimation error variance.
    :output: (x_hat [batch, streams, T, N] complex, noise_var [batch, streams, T, N] real).
        REs where the channel is zero (guards, DC) come out as 0 with infinite variance.
    """

    def __init__(self, kind: str = "lmmse"):
        super().__init__()
        if kind not in ("zf", "lmmse"):
            raise ValueError(f"equalizer kind must be 'zf' or 'lmmse', got {kind!r}")
        self.kind = kind

    def forward(self, y, h, n0, err_var=None):
        batch = y.shape[0]
        n0 = torch.as_tensor(n0, dtype=torch.float32, device=y.device)
        # [B, 1, 1] or [B, 1, N] -> broadcast over T (and N)
        n0_eff = n0.expand(batch, y.shape[3])[:, None, :] if n0.dim() == 2 else n0.expand(batch)[:, None, None]
        if err_var is not None:
            n0_eff = n0_eff + err_var.sum(dim=1)  # [B, T, N]
        else:
            n0_eff = n0_eff.expand(batch, y.shape[2], y.shape[3])
        if h.shape[2] == 1:
            return _single_stream(y, h[:, :, 0], n0_eff, self.kind)
        yv, hv = _per_re(y, h)
        streams = hv.shape[-1]
        gram = hv.mH @ hv  # [B, T, N, S, S]
        eye = torch.eye(streams, dtype=gram.dtype, device=gram.device)
        active = gram.diagonal(dim1=-2, dim2=-1).real.sum(-1) > 1e-12  # [B, T, N]
        safe_gram = torch.where(active[..., None, None], gram, eye)
        if self.kind == "zf":
            inv = torch.linalg.inv(safe_gram)
            x = (inv @ hv.mH @ yv).squeeze(-1)  # [B, T, N, S]
            var = inv.diagonal(dim1=-2, dim2=-1).real * n0_eff[..., None]
        else:
            a = safe_gram + n0_eff[..., None, None].to(gram.dtype) * eye
            inv = torch.linalg.inv(a)
            g = inv @ hv.mH  # [B, T, N, S, rx]
            d = (g @ hv).diagonal(dim1=-2, dim2=-1).real.clamp_min(1e-12)  # bias per stream
            x = (g @ yv).squeeze(-1) / d
            var = (1.0 / d - 1.0).clamp_min(1e-12)
        x = torch.where(active[..., None], x, torch.zeros_like(x))
        var = torch.where(active[..., None], var, torch.full_like(var, float("inf")))
        return x.permute(0, 3, 1, 2), var.permute(0, 3, 1, 2)


def _single_stream(y: torch.Tensor, h: torch.Tensor, n0_eff: torch.Tensor, kind: str):
    """The equaliser of one stream (maximum-ratio combining, 1x1 "matrices" as numbers): the same
    estimates as the general case without a batched inverse per RE.

    :input y, h: [B, rx, T, N] complex. :input n0_eff: [B, T, N]. :output: as :class:`Equalizer`, S = 1.
    """
    gram = h.abs().square().sum(1)  # [B, T, N]
    hy = (h.conj() * y).sum(1)  # [B, T, N]
    active = gram > 1e-12
    safe_gram = torch.where(active, gram, torch.ones_like(gram))
    if kind == "zf":
        x, var = hy / safe_gram, n0_eff / safe_gram
    else:
        a = safe_gram + n0_eff
        d = (safe_gram / a).clamp_min(1e-12)  # bias
        x, var = hy / a / d, (1.0 / d - 1.0).clamp_min(1e-12)
    x = torch.where(active, x, torch.zeros_like(x))
    var = torch.where(active, var, torch.full_like(var, float("inf")))
    return x[:, None], var[:, None]

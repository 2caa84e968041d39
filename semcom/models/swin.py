"""Swin deep-JSCC (WITT / SwinJSCC family): window attention with shifted windows, 16x downsampling.

The encoder embeds 2x2 pixel patches, then runs four stages of Swin blocks with patch merging
between them (grids H/2, H/4, H/8, H/16); each 16x16 pixel patch (768 real values) becomes
``768 * ratio`` complex symbols (``2 * 768 * ratio`` reals: 256 at 1/6, 128 at 1/12). The decoder
mirrors it with patch expanding (a linear layer and a pixel shuffle). Attention stays inside
windows of ``window`` x ``window`` tokens; every second block shifts the windows by half a
window so that context spreads across window borders, stage after stage, over the whole image.

Any image size: :class:`~semcom.models.base.JSCCModel` pads the image to a multiple of 16 and
crops the result back. Inside each block the token grid is padded (zeros, at the bottom and
right) to a multiple of the window and the padded tokens are masked out as keys; where the grid
is smaller than the window, the window shrinks to the grid along that axis (and does not shift
along it). SNR adaptation: an :class:`~semcom.models.layers.SNRFiLM` after each block's two norms.

Token grids are channel-last, ``[B, H, W, C]``, throughout.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import torch
from torch import nn
from torch.nn import functional as F

from .base import BLOCK, JSCCModel
from .layers import SNRFiLM

PATCH = 2  # pixels per side of an embedded patch
STAGES = 4  # patch embedding x2, three merges x2 each: 16x in all
DOWNSAMPLE = PATCH * 2 ** (STAGES - 1)

# The larger model for a GPU (WITT's sizes); the defaults of SwinConfig train on a CPU.
GPU_PRESET = {"dims": (128, 192, 256, 320), "depths": (2, 2, 6, 2), "heads": (4, 6, 8, 10), "window": 8,
              "mlp_ratio": 4}


def window_geometry(grid: tuple[int, int], window: int, shifted: bool) -> tuple[tuple[int, int], tuple[int, int]]:
    """((window rows, window cols), (shift rows, shift cols)) for a token grid: the window shrinks
    to the grid along an axis shorter than it, and shifts by half a window only along an axis
    longer than the window."""
    size = tuple(min(window, g) for g in grid)
    shift = tuple(s // 2 if shifted and g > s else 0 for s, g in zip(size, grid))
    return size, shift


def window_groups(grid: tuple[int, int], size: tuple[int, int], shift: tuple[int, int],
                  device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Which tokens of the padded grid may attend to which, in the grid's own coordinates.

    Token (r, c) belongs to group ``((r - shift_r) // size_r, (c - shift_c) // size_c)``: the
    shifted windows without wrap-around, so tokens that a cyclic shift brings into one window from
    opposite borders fall into different groups. Padded tokens (beyond ``grid``) are invalid.

    :output: (group ids [Hp, Wp] int64, valid [Hp, Wp] bool), Hp and Wp the grid rounded up to ``size``.
    """
    hp, wp = (-(-g // s) * s for g, s in zip(grid, size))
    rows = torch.div(torch.arange(hp, device=device) - shift[0], size[0], rounding_mode="floor") + 1
    cols = torch.div(torch.arange(wp, device=device) - shift[1], size[1], rounding_mode="floor") + 1
    groups = rows[:, None] * (wp // size[1] + 2) + cols[None, :]  # [Hp, Wp]
    valid = (torch.arange(hp, device=device)[:, None] < grid[0]) & (torch.arange(wp, device=device)[None, :] < grid[1])
    return groups, valid


def to_windows(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """[B, Hp, Wp, ...] (Hp, Wp multiples of ``size``) -> [B, nWindows, size_r * size_c, ...]."""
    b, hp, wp = x.shape[:3]
    rest = x.shape[3:]
    x = x.reshape(b, hp // size[0], size[0], wp // size[1], size[1], *rest)
    x = x.transpose(2, 3)  # [B, nH, nW, size_r, size_c, ...]
    return x.reshape(b, (hp // size[0]) * (wp // size[1]), size[0] * size[1], *rest)


def from_windows(x: torch.Tensor, size: tuple[int, int], padded: tuple[int, int]) -> torch.Tensor:
    """Inverse of :func:`to_windows`: [B, nWindows, size_r * size_c, C] -> [B, Hp, Wp, C]."""
    b, c = x.shape[0], x.shape[-1]
    nh, nw = padded[0] // size[0], padded[1] // size[1]
    x = x.reshape(b, nh, nw, size[0], size[1], c).transpose(2, 3)
    return x.reshape(b, padded[0], padded[1], c)


def attention_mask(grid: tuple[int, int], size: tuple[int, int], shift: tuple[int, int], device=None) -> torch.Tensor:
    """Additive mask [nWindows, N, N] (0 or -inf, N = size_r * size_c) for the windows of the
    cyclically shifted, padded grid: a query sees the valid keys of its own group (and itself,
    so that no row is empty)."""
    groups, valid = window_groups(grid, size, shift, device)
    groups = to_windows(torch.roll(groups, (-shift[0], -shift[1]), (0, 1))[None], size)[0]  # [nW, N]
    valid = to_windows(torch.roll(valid, (-shift[0], -shift[1]), (0, 1))[None], size)[0]  # [nW, N]
    allowed = (groups[:, :, None] == groups[:, None, :]) & valid[:, None, :]
    allowed |= torch.eye(groups.shape[1], dtype=torch.bool, device=device)
    return torch.zeros(allowed.shape, device=device).masked_fill(~allowed, float("-inf"))


class WindowAttention(nn.Module):
    """Multi-head self-attention inside windows, with a learned relative position bias.

    :input x: [B, nW, N, D] tokens of windows of ``size`` (N = size_r * size_c, each side <= window);
    :input mask: [nW, N, N] additive. :output: [B, nW, N, D].
    """

    def __init__(self, dim: int, heads: int, window: int):
        super().__init__()
        self.heads, self.window = heads, window
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.bias_table = nn.Parameter(torch.zeros((2 * window - 1) ** 2, heads))  # one per relative offset
        nn.init.trunc_normal_(self.bias_table, std=0.02)

    def position_bias(self, size: tuple[int, int]) -> torch.Tensor:
        """[heads, N, N]: the bias of each query-key offset inside a window of ``size``."""
        dev = self.bias_table.device
        rows = torch.arange(size[0], device=dev).repeat_interleave(size[1])  # [N]
        cols = torch.arange(size[1], device=dev).repeat(size[0])  # [N]
        offset = (rows[:, None] - rows[None, :] + self.window - 1) * (2 * self.window - 1) + \
            cols[:, None] - cols[None, :] + self.window - 1  # [N, N]
        return self.bias_table[offset].permute(2, 0, 1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        b, nw, n, d = x.shape
        q, k, v = self.qkv(x).view(b, nw, n, 3, self.heads, d // self.heads).permute(3, 0, 1, 4, 2, 5)
        # [B, nW, heads, N, d/heads] each. softmax(q k^T / sqrt(d_head) + bias + mask) v through SDPA,
        # chosen over the written-out form (vit.Attention's, made for bf16 on CPUs with AVX512-BF16)
        # after one back-to-back float32 A/B on 2 busy AVX2 cores: a 768x512 round trip and a
        # training step each ran ~20 % faster; worth re-measuring on a quiet machine
        bias = (self.position_bias(size)[None] + mask[:, None]).to(q.dtype)  # [nW, heads, N, N]
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)  # [B, nW, heads, N, d/heads]
        return self.proj(y.transpose(2, 3).reshape(b, nw, n, d))


class SwinBlock(nn.Module):
    """Pre-norm Swin block, SNR-modulated norms (FiLM), windows shifted when ``shifted``.

    :input x: [B, H, W, D]; snr_db [B]. :output: [B, H, W, D].
    """

    def __init__(self, dim: int, heads: int, window: int, mlp_ratio: int, shifted: bool):
        super().__init__()
        self.window, self.shifted = window, shifted
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.film1 = SNRFiLM(dim, channel_last=True)
        self.film2 = SNRFiLM(dim, channel_last=True)
        self.attn = WindowAttention(dim, heads, window)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp_ratio * dim), nn.GELU(), nn.Linear(mlp_ratio * dim, dim))

    def attend(self, x: torch.Tensor) -> torch.Tensor:
        """Shifted-window attention over the grid. :input x: [B, H, W, D]. :output: same."""
        grid = (x.shape[1], x.shape[2])
        size, shift = window_geometry(grid, self.window, self.shifted)
        mask = attention_mask(grid, size, shift, x.device).to(x.dtype)  # [nW, N, N]
        hp, wp = (-(-g // s) * s for g, s in zip(grid, size))
        x = F.pad(x, (0, 0, 0, wp - grid[1], 0, hp - grid[0]))  # [B, Hp, Wp, D]
        x = torch.roll(x, (-shift[0], -shift[1]), (1, 2))
        y = from_windows(self.attn(to_windows(x, size), mask, size), size, (hp, wp))
        y = torch.roll(y, shift, (1, 2))
        return y[:, :grid[0], :grid[1]]

    def forward(self, x: torch.Tensor, snr_db: torch.Tensor) -> torch.Tensor:
        b, h, w, d = x.shape
        x = x + self.attend(self.film1(self.norm1(x).reshape(b, h * w, d), snr_db).view(b, h, w, d))
        return x + self.mlp(self.film2(self.norm2(x).reshape(b, h * w, d), snr_db).view(b, h, w, d))


class Stage(nn.Module):
    """``depth`` Swin blocks at one resolution, every second one shifted.

    :input x: [B, H, W, D]; snr_db [B]. :output: [B, H, W, D].
    """

    def __init__(self, dim: int, depth: int, heads: int, window: int, mlp_ratio: int):
        super().__init__()
        self.blocks = nn.ModuleList(SwinBlock(dim, heads, window, mlp_ratio, shifted=i % 2 == 1)
                                    for i in range(depth))

    def forward(self, x: torch.Tensor, snr_db: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x, snr_db)
        return x


class PatchMerging(nn.Module):
    """2x2 neighbouring tokens concatenated, normalised and projected.

    :input x: [B, H, W, C] (H, W even). :output: [B, H/2, W/2, out_dim].
    """

    def __init__(self, dim: int, out_dim: int):
        super().__init__()
        self.norm = nn.LayerNorm(4 * dim)
        self.reduce = nn.Linear(4 * dim, out_dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, h, w, c = x.shape
        x = x.view(b, h // 2, 2, w // 2, 2, c).permute(0, 1, 3, 2, 4, 5)  # [B, H/2, W/2, 2, 2, C]
        return self.reduce(self.norm(x.reshape(b, h // 2, w // 2, 4 * c)))


class PatchExpanding(nn.Module):
    """Each token projected to a 2x2 block of tokens (a linear layer and a pixel shuffle).

    :input x: [B, H, W, C]. :output: [B, 2H, 2W, out_dim].
    """

    def __init__(self, dim: int, out_dim: int, scale: int = 2):
        super().__init__()
        self.scale = scale
        self.norm = nn.LayerNorm(dim)
        self.expand = nn.Linear(dim, scale * scale * out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, h, w, _ = x.shape
        s = self.scale
        y = self.expand(self.norm(x)).view(b, h, w, s, s, -1).permute(0, 1, 3, 2, 4, 5)  # [B, H, s, W, s, C']
        return y.reshape(b, h * s, w * s, -1)


class SwinEncoder(nn.Module):
    """:input x: [B,3,H,W], H and W multiples of 16; snr_db [B].
    :output: [B, H/16, W/16, out_dim], real (``out_dim`` reals per 16x16 patch)."""

    def __init__(self, out_dim: int, dims, depths, heads, window: int, mlp_ratio: int):
        super().__init__()
        self.embed = nn.Conv2d(3, dims[0], PATCH, stride=PATCH)
        self.embed_norm = nn.LayerNorm(dims[0])
        self.stages = nn.ModuleList(Stage(d, n, h, window, mlp_ratio) for d, n, h in zip(dims, depths, heads))
        self.merges = nn.ModuleList(PatchMerging(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.norm = nn.LayerNorm(dims[-1])
        self.head = nn.Linear(dims[-1], out_dim)

    def forward(self, x: torch.Tensor, snr_db: torch.Tensor) -> torch.Tensor:
        h = self.embed_norm(self.embed(x).permute(0, 2, 3, 1))  # [B, H/2, W/2, D0]
        for i, stage in enumerate(self.stages):
            h = stage(h, snr_db)
            if i < len(self.merges):
                h = self.merges[i](h)  # [B, H/2^(i+2), W/2^(i+2), D(i+1)]
        return self.head(self.norm(h))


class SwinDecoder(nn.Module):
    """:input z: [B, h, w, in_dim], real; snr_db [B]. :output: [B,3,16h,16w] in [0,1]."""

    def __init__(self, in_dim: int, dims, depths, heads, window: int, mlp_ratio: int):
        super().__init__()
        dims, depths, heads = dims[::-1], depths[::-1], heads[::-1]
        self.embed = nn.Linear(in_dim, dims[0])
        self.stages = nn.ModuleList(Stage(d, n, h, window, mlp_ratio) for d, n, h in zip(dims, depths, heads))
        self.expands = nn.ModuleList(PatchExpanding(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.out = PatchExpanding(dims[-1], 3, scale=PATCH)

    def forward(self, z: torch.Tensor, snr_db: torch.Tensor) -> torch.Tensor:
        h = self.embed(z)  # [B, h, w, D3]
        for i, stage in enumerate(self.stages):
            h = stage(h, snr_db)
            if i < len(self.expands):
                h = self.expands[i](h)  # [B, 2^(i+1) h, 2^(i+1) w, D(2-i)]
        return torch.sigmoid(self.out(h)).permute(0, 3, 1, 2)  # [B, 3, 16h, 16w]


@dataclass(frozen=True)
class SwinConfig:
    """Hyperparameters of :class:`SwinJSCC`, validated on construction. The defaults are a small
    model that trains on a CPU; :data:`GPU_PRESET` holds WITT's larger sizes.

    :param ratio: bandwidth ratio k/n. :param dims: token width of each of the 4 stages (the
        decoder mirrors them). :param depths: Swin blocks per stage (>= 1; every second is shifted).
    :param heads: attention heads per stage (dividing its width). :param window: window side in
        tokens. :param mlp_ratio: MLP width / token width.
    :param snr_range_db: (low, high) SNR range the model is trained for, in dB.
    """

    ratio: str = "1/6"
    dims: tuple[int, ...] = (64, 96, 128, 160)
    depths: tuple[int, ...] = (2, 2, 2, 2)
    heads: tuple[int, ...] = (2, 3, 4, 5)
    window: int = 8
    mlp_ratio: int = 4
    snr_range_db: tuple[float, float] = (0.0, 20.0)

    def __post_init__(self):
        for name in ("dims", "depths", "heads"):
            value = getattr(self, name)
            if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != STAGES or \
                    not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value):
                raise ValueError(f"{name} must be {STAGES} integers >= 1 (one per stage), got {value!r}")
            object.__setattr__(self, name, tuple(value))
        bad = [(d, h) for d, h in zip(self.dims, self.heads) if d % h]
        if bad:
            raise ValueError(f"each stage's width must be a multiple of its heads, got dims {self.dims}, "
                             f"heads {self.heads}")
        if not isinstance(self.window, int) or self.window < 1:
            raise ValueError(f"window must be an integer >= 1, got {self.window!r}")
        if not isinstance(self.mlp_ratio, int) or self.mlp_ratio < 1:
            raise ValueError(f"mlp_ratio must be an integer >= 1, got {self.mlp_ratio!r}")


class SwinJSCC(JSCCModel):
    """Swin-transformer deep-JSCC over the whole image (no tiles): any H x W, padded to a multiple of 16.

    Built from a :class:`SwinConfig` or its fields as keyword arguments. Shapes (from
    :class:`~semcom.models.base.JSCCModel`): ``encode(x [B,3,H,W] in [0,1], snr_db [B])`` -> symbols
    [B,k] complex64, unit power; ``decode(s_hat [B,k], snr_db [B], (H, W))`` -> [B,3,H,W] in [0,1]."""

    arch = "swin"
    granularity = DOWNSAMPLE
    config_class = SwinConfig

    def __init__(self, cfg: SwinConfig | None = None, **kwargs):
        cfg = cfg or SwinConfig(**kwargs)
        super().__init__(ratio=cfg.ratio, snr_range_db=cfg.snr_range_db)
        self.hparams = cfg
        self.reals_per_patch = self.reals_per_block * (DOWNSAMPLE // BLOCK) ** 2  # 2 * 768 * ratio
        arch = dict(dims=cfg.dims, depths=cfg.depths, heads=cfg.heads, window=cfg.window, mlp_ratio=cfg.mlp_ratio)
        self.encoder = SwinEncoder(self.reals_per_patch, **arch)
        self.decoder = SwinDecoder(self.reals_per_patch, **arch)

    def extra_config(self) -> dict:
        """Fields beyond ratio and SNR range, tuples as lists (as YAML and JSON give them back)."""
        skip = ("ratio", "snr_range_db")
        return {f.name: list(v) if isinstance(v := getattr(self.hparams, f.name), tuple) else v
                for f in fields(self.hparams) if f.name not in skip}

    def encode_latent(self, x, snr_db):
        z = self.encoder(x, snr_db)  # [B, H/16, W/16, r16]
        return z.permute(0, 3, 1, 2).flatten(1)  # [B, r16*h*w]: first half real, second imaginary

    def decode_latent(self, z, snr_db, padded):
        h, w = padded[0] // DOWNSAMPLE, padded[1] // DOWNSAMPLE
        z = z.view(z.shape[0], self.reals_per_patch, h, w).permute(0, 2, 3, 1)  # [B, h, w, r16]
        return self.decoder(z, snr_db)

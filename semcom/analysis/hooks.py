"""Forward hooks on named blocks: record what any model's blocks output, without
touching the architecture.

Blocks are found by name in ``model.named_modules()``: by default the members of
every ``nn.ModuleList`` (the repeated blocks: a CNN's residual blocks, a ViT's
transformer blocks), or the modules whose names match a regular expression.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import torch
from torch import nn

from .common import NOISE_SEED, batches, load_models, run_through_channel


def default_blocks(model: nn.Module) -> list[str]:
    """Names of the members of every ``nn.ModuleList`` in ``model``, in registration order."""
    names = []
    for prefix, module in model.named_modules():
        if isinstance(module, nn.ModuleList):
            names += [f"{prefix}.{child}" if prefix else child for child, _ in module.named_children()]
    return names


def select_blocks(model: nn.Module, pattern: str | None = None) -> list[str]:
    """:func:`default_blocks`, or every module whose full name matches ``pattern`` (regex)."""
    if pattern is None:
        names = default_blocks(model)
    else:
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"--blocks {pattern!r} is not a regular expression: {exc}") from exc
        names = [n for n, _ in model.named_modules() if n and regex.fullmatch(n)]
    if not names:
        raise ValueError(f"no blocks {'match ' + repr(pattern) if pattern else 'found'} in {type(model).__name__}")
    return names


def as_spatial(y: torch.Tensor) -> torch.Tensor:
    """A block output as a feature map [B, H, W, C].

    :input y: [B, C, H, W] (convolutional) or [B, T, C] with T a square number of tokens.
    :output: [B, H, W, C], float32.
    """
    if y.dim() == 4:
        return y.permute(0, 2, 3, 1).float()
    if y.dim() == 3:
        side = math.isqrt(y.shape[1])
        if side * side != y.shape[1]:
            raise ValueError(f"a block output of {y.shape[1]} tokens is not a square grid")
        return y.reshape(y.shape[0], side, side, y.shape[2]).float()
    raise ValueError(f"cannot read a block output of shape {tuple(y.shape)} as a feature map")


class BlockHooks:
    """Calls ``on_output(name, feature_map [B,H,W,C])`` after each named block's forward.

    Use as a context manager; the hooks are removed on exit::

        with BlockHooks(model, names, on_output):
            model.encode(x, snr)
    """

    def __init__(self, model: nn.Module, names: list[str], on_output: Callable[[str, torch.Tensor], None]):
        modules = dict(model.named_modules())
        missing = [n for n in names if n not in modules]
        if missing:
            raise ValueError(f"{type(model).__name__} has no module {missing[0]!r}")
        self._targets = [(n, modules[n]) for n in names]
        self._on_output = on_output
        self._handles = []

    def __enter__(self) -> "BlockHooks":
        for name, module in self._targets:
            self._handles.append(module.register_forward_hook(self._hook(name)))
        return self

    def __exit__(self, *exc) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def _hook(self, name: str):
        def hook(module, inputs, output):
            y = output[0] if isinstance(output, tuple) else output
            self._on_output(name, as_spatial(y.detach()))
        return hook


@torch.no_grad()
def mean_block_measure(model, batches, snr_db: float, names: list[str],
                       measure: Callable[[torch.Tensor], torch.Tensor], generator: torch.Generator) -> dict:
    """A per-image measure of every named block's output, averaged over the images.

    Each batch of images [B,3,H,W] goes through the model and a flat AWGN channel at
    ``snr_db`` (:func:`~semcom.analysis.common.run_through_channel`). ``measure`` maps a
    feature map [B,H,W,C] to [B, ...]; the input image itself is measured as block ``"input"``.

    :returns: ``{"input": tensor [...], name: tensor [...], ...}``, in block order.
    """
    sums: dict[str, torch.Tensor] = {}
    count = 0

    def add(name: str, feature_map: torch.Tensor) -> None:
        value = measure(feature_map).double().sum(0)
        sums[name] = sums[name] + value if name in sums else value

    with BlockHooks(model, names, add):
        for x in batches:
            add("input", as_spatial(x))
            run_through_channel(model, x, snr_db, generator)
            count += x.shape[0]
    return {name: sums[name] / count for name in ["input", *names]}


def block_measures(models: list[str], images, snrs: list[float], blocks: str | None, batch_size: int,
                   progress: bool, measure: Callable[[torch.Tensor], torch.Tensor]):
    """:func:`mean_block_measure` for every model (zoo name or checkpoint) and SNR, the noise seeded
    alike for each. ``images`` is an :class:`~semcom.data.ImageSet`; ``blocks`` a regular expression
    (None: the default blocks).

    :yields: ``(model name, snr_db, {"input": tensor [...], block: tensor [...], ...})``.
    """
    for name, model in load_models(models).items():
        names = select_blocks(model, blocks)
        for snr in snrs:
            gen = torch.Generator().manual_seed(NOISE_SEED)
            yield name, snr, mean_block_measure(model, batches(images, batch_size, progress, f"{name} {snr:g} dB"),
                                                snr, names, measure, gen)

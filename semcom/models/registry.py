"""Model architectures by name."""

from __future__ import annotations

from .base import JSCCModel
from .cnn import CNNJSCC
from .vit import ViTJSCC

ARCHITECTURES: dict[str, type[JSCCModel]] = {"cnn": CNNJSCC, "vit": ViTJSCC}


def build_model(arch: str, **config) -> JSCCModel:
    """Build an untrained model; ``config`` are the architecture's keyword arguments."""
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; choose one of {sorted(ARCHITECTURES)}")
    try:
        return ARCHITECTURES[arch](**config)
    except TypeError as exc:
        raise ValueError(f"bad configuration for {arch!r}: {exc}") from exc

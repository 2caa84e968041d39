"""Model architectures by name, each with its typed configuration."""

from __future__ import annotations

from dataclasses import fields

from .base import JSCCModel
from .cnn import CNNConfig, CNNJSCC
from .swin import SwinConfig, SwinJSCC
from .vit import ViTConfig, ViTJSCC

ARCHITECTURES: dict[str, type[JSCCModel]] = {"cnn": CNNJSCC, "swin": SwinJSCC, "vit": ViTJSCC}
ModelConfig = CNNConfig | SwinConfig | ViTConfig


def model_config(arch: str, **options) -> ModelConfig:
    """The typed configuration of ``arch`` from keyword options (YAML, CLI ``--model-arg``,
    a checkpoint's ``config``); unknown options and bad values are one clear ``ValueError``."""
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; choose one of {sorted(ARCHITECTURES)}")
    cls = ARCHITECTURES[arch].config_class
    known = [f.name for f in fields(cls)]
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise ValueError(f"bad configuration for {arch!r}: unknown option(s) {unknown}; known: {known}")
    if "snr_range_db" in options:
        options = {**options, "snr_range_db": tuple(float(v) for v in options["snr_range_db"])}
    if "ratio" in options:
        options = {**options, "ratio": str(options["ratio"])}
    return cls(**options)


def build_model(arch: str, **options) -> JSCCModel:
    """Build an untrained model from ``arch`` and its configuration's fields."""
    cfg = model_config(arch, **options)
    return ARCHITECTURES[arch](cfg)

"""The configuration of a training run: one frozen dataclass, validated on construction, built
alike from the command line (``semcom train``) and from YAML (``semcom train --config run.yaml``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import torch

from phy.channels import CHANNELS
from phy.configio import MappingConfig

from .link import LinkOptions
from .models.registry import ARCHITECTURES, ModelConfig, model_config

PRECISIONS = {"fp32": None, "bf16": torch.bfloat16}


@dataclass(frozen=True)
class TrainConfig(MappingConfig):
    """Everything a training run needs; validated on construction."""

    yaml_section: ClassVar[str] = "train"

    arch: str = "cnn"
    model: ModelConfig | dict = field(default_factory=dict)
    data: str | None = None
    out: str = "runs/cnn"
    epochs: int = 100
    batch_size: int = 64
    lr: float = 1e-3
    min_lr: float = 1e-5
    weight_decay: float = 1e-4
    beta2: float = 0.999
    warmup_steps: int = 500
    channel: str = "awgn"
    ema_decay: float = 0.999
    clip_grad_norm: float | None = 1.0
    link: LinkOptions | dict | None = None
    papr_weight: float = 0.0
    papr_target_db: float = 6.0
    prior_weight: float = 0.0
    prior: str = "gaussian"
    prior_nu: float = 5.0
    init_from: str | None = None
    save_every_s: float = 300.0
    limit: int | None = None
    val_limit: int = 1000
    val_holdout: int = 0
    crop: int = 32
    max_steps: int | None = None
    max_minutes: float | None = None
    seed: int = 0
    precision: str = "fp32"

    def __post_init__(self):
        # typed sections: dicts (YAML, old checkpoints' records) become their dataclasses, validated
        if isinstance(self.model, dict):
            object.__setattr__(self, "model", model_config(self.arch, **self.model))
        elif not isinstance(self.model, ARCHITECTURES[self.arch].config_class if self.arch in ARCHITECTURES
                            else type(None)):
            raise ValueError(f"model config {type(self.model).__name__} is not for arch {self.arch!r}")
        if isinstance(self.link, dict):
            object.__setattr__(self, "link", LinkOptions.from_dict(self.link))
        positive = {"epochs": self.epochs, "batch_size": self.batch_size, "val_limit": self.val_limit,
                    "crop": self.crop}
        for name, value in positive.items():
            if int(value) < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")
        if not 0 < self.lr < 1 or not 0 <= self.min_lr <= self.lr:
            raise ValueError(f"need 0 < lr < 1 and 0 <= min_lr <= lr, got lr={self.lr}, min_lr={self.min_lr}")
        if not 0 < self.beta2 < 1:
            raise ValueError(f"beta2 must be in (0, 1), got {self.beta2}")
        if not 0 <= self.ema_decay < 1:
            raise ValueError(f"ema_decay must be in [0, 1), got {self.ema_decay}")
        if self.link is None and self.channel not in CHANNELS:
            raise ValueError(f"channel must be one of {CHANNELS} (or use an OFDM link), got {self.channel!r}")
        if self.papr_weight < 0 or self.prior_weight < 0:
            raise ValueError("papr_weight and prior_weight must be >= 0")
        if self.clip_grad_norm is not None and self.clip_grad_norm <= 0:
            raise ValueError(f"clip_grad_norm must be > 0 or None, got {self.clip_grad_norm}")
        if self.warmup_steps < 0 or self.save_every_s <= 0:
            raise ValueError("warmup_steps must be >= 0 and save_every_s > 0")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {sorted(PRECISIONS)}, got {self.precision!r}")
        if self.val_holdout < 0:
            raise ValueError(f"val_holdout must be >= 0, got {self.val_holdout}")
        if self.max_minutes is not None and not self.max_minutes > 0:
            raise ValueError(f"max_minutes must be > 0, got {self.max_minutes}")
        for name in ("limit", "max_steps"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")



def describe_channel(cfg: TrainConfig) -> str:
    """The training (and validation) channel in words, e.g. ``2x2 OFDM tdl-a, rapp PA at 3 dB IBO``."""
    if cfg.link is None:
        return cfg.channel
    link = cfg.link
    text = f"{link.mimo} OFDM {cfg.channel}"
    if link.precoding != "identity":
        text += f", {link.precoding} precoding"
    if link.pa != "none":
        text += f", {link.pa} PA at {link.ibo_db:g} dB IBO"
    if link.clip_ratio_db is not None:
        text += f", clip {link.clip_ratio_db:g} dB"
    return text

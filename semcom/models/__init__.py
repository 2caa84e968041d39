"""Deep-JSCC models: the CNN and the ViT, a registry of architectures."""

from .base import JSCCModel, parse_ratio
from .cnn import CNNJSCC
from .registry import ARCHITECTURES, ModelConfig, build_model, model_config
from .vit import ViTJSCC

__all__ = ["ARCHITECTURES", "CNNJSCC", "JSCCModel", "ModelConfig", "ViTJSCC", "build_model", "model_config", "parse_ratio"]

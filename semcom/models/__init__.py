"""Deep-JSCC models: the CNN, the ViT and the Swin transformer, a registry of architectures."""

from .base import JSCCModel, parse_ratio
from .cnn import CNNJSCC
from .swin import SwinJSCC
from .registry import ARCHITECTURES, ModelConfig, build_model, model_config
from .vit import ViTJSCC

__all__ = ["ARCHITECTURES", "CNNJSCC", "JSCCModel", "ModelConfig", "SwinJSCC", "ViTJSCC", "build_model", "model_config", "parse_ratio"]

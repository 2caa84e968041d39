"""Deep-JSCC models: the CNN and the ViT, a registry of architectures."""

from .base import JSCCModel, parse_ratio
from .cnn import CNNJSCC
from .registry import ARCHITECTURES, build_model
from .vit import ViTJSCC

__all__ = ["ARCHITECTURES", "CNNJSCC", "JSCCModel", "ViTJSCC", "build_model", "parse_ratio"]

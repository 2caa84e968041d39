"""The photographs bundled with the package (``semcom/assets/photos``, licences in its LICENSE.md)
and what the demo and the OTA path do with one: pick the photo model of a zoo model, and cut a crop
to show at full resolution.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

DEFAULT_PHOTO = "coffee.jpg"
PHOTO_MODEL_SUFFIX = "-bsds"  # a zoo model's fine-tune on BSDS500 photographs
CROP = 128  # pixels of the crop the demo shows at full resolution


def photos_dir() -> Path:
    """Folder of the bundled photographs."""
    return Path(str(resources.files("semcom") / "assets" / "photos"))


def default_photo() -> Path:
    return photos_dir() / DEFAULT_PHOTO


def photo_model(name: str) -> str:
    """The zoo model to send a photograph with: ``name``'s photo fine-tune (``<name>-bsds``) where the zoo
    has one, else ``name``."""
    from .zoo import index

    tuned = f"{name}{PHOTO_MODEL_SUFFIX}"
    return tuned if tuned in index() else name


def crop_box(image: np.ndarray, size: int = CROP) -> tuple[slice, slice]:
    """The centred ``size`` x ``size`` window of an [H, W, 3] image (the whole image when smaller)."""
    h, w = image.shape[:2]
    ch, cw = min(size, h), min(size, w)
    top, left = (h - ch) // 2, (w - cw) // 2
    return slice(top, top + ch), slice(left, left + cw)


def crop(image: np.ndarray, size: int = CROP) -> np.ndarray:
    """The centred crop (:func:`crop_box`) of an [H, W, 3] image, pixels unscaled."""
    rows, cols = crop_box(image, size)
    return image[rows, cols]

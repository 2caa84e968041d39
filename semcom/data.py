"""Image data: the CIFAR-10 npz, the official ``cifar-10-batches-py`` folder,
and any folder of PNG/JPEG images. Nothing is ever downloaded.

Images are kept as uint8 HWC RGB arrays; :func:`to_tensor` turns a batch into
float [B,3,H,W] in [0,1].
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import torch

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")
DATA_ENV = "SEMCOM_DATA"


class DataError(ValueError):
    """A data path or file that cannot be used, with a message naming it."""


@dataclass
class ImageSet:
    """A set of RGB images.

    :param images: uint8 [N,H,W,3] when all images share a size, else a list
        of uint8 [H,W,3] arrays.
    :param names: one name per image (file name or ``split[index]``).
    """

    images: np.ndarray | list
    names: list

    def __len__(self) -> int:
        return len(self.images)

    @property
    def uniform(self) -> bool:
        return isinstance(self.images, np.ndarray)

    def subset(self, limit: int | None, offset: int = 0) -> "ImageSet":
        """Images ``offset .. offset + limit - 1`` (all from ``offset`` when ``limit`` is None)."""
        if limit is not None and limit < 1:
            raise DataError(f"--limit must be >= 1, got {limit}")
        if not 0 <= offset < len(self):
            raise DataError(f"--offset must lie in 0..{len(self) - 1} (the set has {len(self)} images), got {offset}")
        if limit is None and offset == 0:
            return self
        stop = None if limit is None else offset + limit
        return ImageSet(self.images[offset:stop], self.names[offset:stop])


def resolve_data_path(path: str | os.PathLike | None) -> Path:
    """The path given, else ``$SEMCOM_DATA``; errors if neither names something that exists."""
    if path is None:
        path = os.environ.get(DATA_ENV)
        if not path:
            raise DataError(f"no data path: pass --data PATH or set {DATA_ENV}")
    p = Path(path).expanduser()
    if not p.exists():
        raise DataError(f"data path does not exist: {p}")
    return p


def load_images(path: str | os.PathLike | None, split: str = "test") -> ImageSet:
    """Load ``split`` ('train' or 'test') from an npz, a CIFAR batches folder or an image folder.

    An image folder has no splits: all its images are returned for either split.
    """
    if split not in ("train", "test"):
        raise DataError(f"split must be 'train' or 'test', got {split!r}")
    p = resolve_data_path(path)
    if p.is_file() and p.suffix == ".npz":
        return _load_npz(p, split)
    if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES:
        return ImageSet([_read_image(p)], [p.name])
    if p.is_dir() and ((p / "data_batch_1").exists() or (p / "test_batch").exists()):
        return _load_cifar_batches(p, split)
    if p.is_dir() and (p / "cifar-10-batches-py").is_dir():
        return _load_cifar_batches(p / "cifar-10-batches-py", split)
    if p.is_dir():
        return _load_folder(p)
    raise DataError(f"unsupported data file {p}: expected a .npz, a cifar-10-batches-py folder, "
                    "an image folder or an image file")


def _load_npz(p: Path, split: str) -> ImageSet:
    key = f"x_{split}"
    try:
        with np.load(p, allow_pickle=False) as f:
            if key not in f.files:
                raise DataError(f"{p} has no array {key!r} (found {', '.join(f.files)})")
            x = f[key]
    except DataError:
        raise
    except Exception as exc:  # zipfile/ValueError/OSError from a damaged file
        raise DataError(f"cannot read {p}: {exc}") from exc
    if x.dtype != np.uint8 or x.ndim != 4 or x.shape[-1] != 3:
        raise DataError(f"{p}:{key} must be uint8 [N,H,W,3], got {x.dtype} {x.shape}")
    return ImageSet(x, [f"{split}[{i}]" for i in range(len(x))])


def _load_cifar_batches(p: Path, split: str) -> ImageSet:
    files = [p / f"data_batch_{i}" for i in range(1, 6)] if split == "train" else [p / "test_batch"]
    arrays = []
    for f in files:
        if not f.exists():
            raise DataError(f"CIFAR-10 folder {p} lacks {f.name}")
        try:
            with open(f, "rb") as fh:
                batch = pickle.load(fh, encoding="bytes")
            data = np.asarray(batch[b"data"], dtype=np.uint8)
        except Exception as exc:
            raise DataError(f"cannot read CIFAR-10 batch {f}: {exc}") from exc
        if data.ndim != 2 or data.shape[1] != 3072:
            raise DataError(f"{f}: expected data of shape [N, 3072], got {data.shape}")
        arrays.append(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    x = np.ascontiguousarray(np.concatenate(arrays))
    return ImageSet(x, [f"{split}[{i}]" for i in range(len(x))])


def _read_image(f: Path) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(f) as im:
            return np.asarray(im.convert("RGB"), dtype=np.uint8)
    except (UnidentifiedImageError, OSError) as exc:
        raise DataError(f"cannot read image {f}: {exc}") from exc


def _load_folder(p: Path) -> ImageSet:
    files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise DataError(f"no images ({', '.join(IMAGE_SUFFIXES)}) found under {p}")
    images = [_read_image(f) for f in files]
    names = [str(f.relative_to(p)) for f in files]
    if len({im.shape for im in images}) == 1:
        return ImageSet(np.stack(images), names)
    return ImageSet(images, names)


def sample_images_dir() -> Path:
    """Folder of the small images bundled with the package (used by ``semcom demo``)."""
    return Path(str(resources.files("semcom") / "assets" / "images"))


def to_tensor(images: np.ndarray, device=None) -> torch.Tensor:
    """uint8 [B,H,W,3] (or [H,W,3]) -> float32 [B,3,H,W] in [0,1]."""
    a = np.asarray(images)
    if a.ndim == 3:
        a = a[None]
    if a.dtype != np.uint8 or a.ndim != 4 or a.shape[-1] != 3:
        raise DataError(f"images must be uint8 [B,H,W,3], got {a.dtype} {a.shape}")
    t = torch.from_numpy(np.array(a, copy=True)).to(device)
    return t.permute(0, 3, 1, 2).float().div_(255.0)


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """float [B,3,H,W] in [0,1] -> uint8 [B,H,W,3] (rounded, clipped)."""
    return x.detach().clamp(0, 1).mul(255).round().byte().permute(0, 2, 3, 1).cpu().numpy()


def iter_batches(images: ImageSet, batch_size: int):
    """Yield (names, uint8 batch) in order; images of other sizes go one by one."""
    if images.uniform:
        for i in range(0, len(images), batch_size):
            yield images.names[i:i + batch_size], images.images[i:i + batch_size]
    else:
        for name, im in zip(images.names, images.images):
            yield [name], im[None]


def random_crops(images: ImageSet, size: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` random size x size crops from a non-uniform set (for training on image folders)."""
    out = np.empty((count, size, size, 3), dtype=np.uint8)
    for j in range(count):
        im = images.images[rng.integers(len(images))]
        if im.shape[0] < size or im.shape[1] < size:
            raise DataError(f"image smaller than the {size}px training crop: {im.shape[:2]}")
        y = rng.integers(im.shape[0] - size + 1)
        x = rng.integers(im.shape[1] - size + 1)
        out[j] = im[y:y + size, x:x + size]
    return out

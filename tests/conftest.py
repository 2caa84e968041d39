"""Shared fixtures: seeds, small generated data sets in every supported format."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", help="run tests marked slow")
    parser.addoption("--hw", action="store_true", help="run tests that need real radio hardware")


def pytest_collection_modifyitems(config, items):
    skips = {"slow": (config.getoption("--runslow"), "needs --runslow"),
             "hardware": (config.getoption("--hw"), "needs --hw and a radio")}
    for item in items:
        for mark, (enabled, why) in skips.items():
            if mark in item.keywords and not enabled:
                item.add_marker(pytest.mark.skip(reason=why))


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    np.random.seed(0)


def smooth_images(n: int, h: int = 32, w: int = 32, seed: int = 0) -> np.ndarray:
    """Smooth random colour gradients, uint8 [n,h,w,3]: learnable in a few steps."""
    rng = np.random.default_rng(seed)
    yy, xx = np.meshgrid(np.linspace(0, 1, h), np.linspace(0, 1, w), indexing="ij")
    a = rng.uniform(0, 1, (n, 1, 1, 3))
    b = rng.uniform(-0.5, 0.5, (n, 1, 1, 3))
    c = rng.uniform(-0.5, 0.5, (n, 1, 1, 3))
    img = a + b * yy[None, :, :, None] + c * xx[None, :, :, None]
    return (np.clip(img, 0, 1) * 255).round().astype(np.uint8)


@pytest.fixture
def npz_data(tmp_path):
    """A CIFAR-like npz with 256 train and 64 test images."""
    path = tmp_path / "tiny.npz"
    np.savez(path, x_train=smooth_images(256, seed=1), y_train=np.zeros(256, np.uint8),
             x_test=smooth_images(64, seed=2), y_test=np.zeros(64, np.uint8))
    return path


@pytest.fixture
def cifar_batches(tmp_path):
    """An official-format ``cifar-10-batches-py`` folder (pickled dicts, CHW rows)."""
    root = tmp_path / "cifar-10-batches-py"
    root.mkdir()
    for i, name in enumerate([f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]):
        x = smooth_images(10, seed=10 + i)
        rows = x.transpose(0, 3, 1, 2).reshape(10, -1)
        with open(root / name, "wb") as fh:
            pickle.dump({b"data": rows, b"labels": list(range(10))}, fh)
    return root


@pytest.fixture
def image_folder(tmp_path):
    """A folder with PNG and JPEG images of mixed sizes, one in a sub-folder."""
    from PIL import Image

    root = tmp_path / "images"
    (root / "sub").mkdir(parents=True)
    Image.fromarray(smooth_images(1, 32, 32, seed=3)[0]).save(root / "a.png")
    Image.fromarray(smooth_images(1, 40, 56, seed=4)[0]).save(root / "b.jpg", quality=95)
    Image.fromarray(smooth_images(1, 64, 64, seed=5)[0]).save(root / "sub" / "c.png")
    (root / "notes.txt").write_text("not an image")
    return root

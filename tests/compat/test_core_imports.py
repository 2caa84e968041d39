"""The core (semcom, phy, radio) imports and runs once without Sionna, under
numpy 1.26 too: ``scripts/test.sh`` runs this file again in such a venv."""

import os
import subprocess
import sys

import numpy as np
import torch

CORE = ["phy", "phy.channels", "phy.power", "radio", "semcom", "semcom.cli", "semcom.data",
        "semcom.evaluation", "semcom.models", "semcom.training", "semcom.zoo", "semcom.demo"]


def test_numpy_version_is_the_one_expected():
    if os.environ.get("SEMCOM_EXPECT_NUMPY1"):
        assert np.__version__.startswith("1."), np.__version__


def test_core_imports_without_sionna():
    # in a fresh interpreter: other test modules of the same session may have imported Sionna
    code = (f"import importlib, sys\nfor m in {CORE!r}: importlib.import_module(m)\n"
            "assert 'sionna' not in sys.modules, 'sionna imported'")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-1500:]


def test_core_runs_once(tmp_path):
    from semcom.data import load_images, to_tensor
    from semcom.evaluation import evaluate
    from semcom.models import build_model

    images = np.random.default_rng(0).integers(0, 256, (4, 32, 32, 3), dtype=np.uint8)
    np.savez(tmp_path / "d.npz", x_test=images)
    loaded = load_images(tmp_path / "d.npz")
    for arch, cfg in (("cnn", {"channels": 16, "num_res": 0}), ("vit", {"dim": 32, "depth": 1, "heads": 2})):
        model = build_model(arch, **cfg)
        s = model.encode(to_tensor(loaded.images), 10.0)
        assert s.shape == (4, 512)
        rows = evaluate(model, loaded, [10.0])
        assert rows[0]["n_images"] == 4 and np.isfinite(rows[0]["psnr_db"])
    assert torch.from_numpy(images).dtype == torch.uint8

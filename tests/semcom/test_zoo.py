import re
import shutil

import pytest
import torch

from semcom import zoo
from semcom.checkpoint import CheckpointError


@pytest.mark.parametrize("name", ["cnn", "vit"])
def test_shipped_model_loads_with_card(name):
    entry = zoo.index()[name]
    model = zoo.load_model(name)
    assert model.arch == entry["arch"] and str(model.ratio) == entry["ratio"] == "1/6"
    assert model.snr_range_db == (0.0, 20.0)
    assert (zoo.zoo_dir() / "weights" / entry["file"]).stat().st_size < 10_000_000
    card = (zoo.zoo_dir() / "cards" / entry["card"]).read_text()
    assert "semcom eval" in card and re.search(r"semcom (--threads \d+ )?train ", card)
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        x_hat = model.decode(model.encode(x, 10.0), 10.0, (32, 32))
    assert x_hat.shape == x.shape


def test_tampered_weights_are_refused(tmp_path, monkeypatch):
    copy = tmp_path / "zoo"
    shutil.copytree(zoo.zoo_dir(), copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(zoo, "zoo_dir", lambda: copy)
    weights = copy / "weights" / "cnn.pt"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte in the middle of the weights
    weights.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="SHA-256"):
        zoo.load_model("cnn")


def test_describe_lists_models():
    text = zoo.describe()
    assert "cnn" in text and "vit" in text

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


def test_zoo_json_names_link_and_training_data(capsys):
    import json

    from semcom.cli import main

    assert main(["zoo", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["cnn"]["link"] == "awgn" and rows["cnn"]["trained_on"] == ["cifar10"] and rows["cnn"]["ratio"] == "1/6"
    assert rows["vit-tdla-bf"]["link"] == "ofdm tdl-a 2x2x1 svd rapp ibo3"
    assert {"name", "arch", "ratio", "link", "trained_on", "sha256", "card"} <= set(rows["vit"])


def test_data_names_from_paths():
    from semcom.zoo import data_name, link_name

    assert data_name("../shared/data/cifar10.npz") == "cifar10"
    assert data_name("/x/bsds500/train") == "bsds500" and data_name("/x/my_photos") == "my_photos"
    assert link_name({"channel": "tdl-a", "link": {"mimo": "2x2", "pa": "rapp", "ibo_db": 3.0,
                                                   "clip_ratio_db": 4.0}}) == "ofdm tdl-a 2x2 rapp ibo3 clip4"

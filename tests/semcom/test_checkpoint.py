import pytest
import torch

from semcom.checkpoint import CheckpointError, model_from_checkpoint, read_checkpoint, save_checkpoint
from semcom.models import build_model
from semcom.zoo import load_model


def tiny(**kw):
    return build_model("cnn", channels=16, num_res=0, **kw)


def test_round_trip_rebuilds_identical_model(tmp_path):
    m = tiny(ratio="1/12")
    save_checkpoint(tmp_path / "m.pt", m, meta={"note": "x"})
    obj = read_checkpoint(tmp_path / "m.pt")
    clone = model_from_checkpoint(obj)
    assert clone.config() == m.config() and obj["meta"] == {"note": "x"}
    x = torch.rand(2, 3, 32, 32)
    torch.testing.assert_close(clone.encode(x, 5.0), m.eval().encode(x, 5.0))
    assert not list(tmp_path.glob(".m.pt.*")), "temporary file left behind"


def test_corrupt_file_gives_clear_error(tmp_path):
    p = tmp_path / "bad.pt"
    save_checkpoint(p, tiny())
    p.write_bytes(p.read_bytes()[:200])  # truncated
    with pytest.raises(CheckpointError, match="corrupt or unreadable"):
        read_checkpoint(p)
    (tmp_path / "text.pt").write_text("hello")
    with pytest.raises(CheckpointError, match="corrupt or unreadable"):
        load_model(str(tmp_path / "text.pt"))


def _overwrite_inside_largest_tensor(path, n: int = 8) -> None:
    """Flip ``n`` bytes in the middle of the largest tensor stored in a torch zip checkpoint."""
    import struct
    import zipfile

    with zipfile.ZipFile(path) as z:
        info = max((i for i in z.infolist() if "/data/" in i.filename), key=lambda i: i.file_size)
    raw = bytearray(path.read_bytes())
    name_len, extra_len = struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30])
    start = info.header_offset + 30 + name_len + extra_len + info.file_size // 2
    raw[start:start + n] = bytes(b ^ 0xFF for b in raw[start:start + n])
    path.write_bytes(bytes(raw))


def test_damaged_weights_are_refused_not_decoded(tmp_path):
    p = tmp_path / "m.pt"
    save_checkpoint(p, tiny(), train_state={"step": 3, "moments": [torch.ones(4)]})
    read_checkpoint(p)  # intact: loads
    _overwrite_inside_largest_tensor(p)
    with pytest.raises(CheckpointError, match="damaged"):
        load_model(str(p))


def test_foreign_file_rejected(tmp_path):
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not a semcom-sdr checkpoint"):
        read_checkpoint(tmp_path / "other.pt")


def test_missing_file_and_unknown_name():
    with pytest.raises(CheckpointError, match="neither a zoo model"):
        load_model("no-such-model")


def test_weights_that_do_not_fit_the_config(tmp_path):
    m = tiny()
    save_checkpoint(tmp_path / "m.pt", m)
    obj = read_checkpoint(tmp_path / "m.pt")
    obj["config"]["ratio"] = "1/12"  # config says 1/12, weights are 1/6
    with pytest.raises(CheckpointError, match="does not fit"):
        model_from_checkpoint(obj, "m.pt")

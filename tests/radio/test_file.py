import json

import numpy as np
import pytest

from radio.base import RadioError
from radio.config import RadioConfig
from radio.file import FileRadio, SigMFRecorder
from radio.sim import SimRadio

pytest.importorskip("sigmf")


def record(tmp_path, n_reads=3, rx=1):
    cfg = RadioConfig(driver="sim", rx_gain_db=0.0, rx_channels=tuple(range(rx)), options={"seed": 4, "snr_db": 30})
    path = tmp_path / "cap.sigmf-meta"
    reads = []
    with SigMFRecorder(SimRadio(cfg), path) as radio:
        radio.tx(np.full(100, 0.3 + 0.1j, np.complex64), cyclic=True)
        for _ in range(n_reads):
            reads.append(radio.rx(256))
        radio.annotate(10, 50, "a frame", "test")
    return path, reads, cfg


def test_record_then_play_back_bit_exact(tmp_path):
    path, reads, cfg = record(tmp_path, rx=2)
    meta = json.loads(path.read_text())
    assert meta["global"]["core:datatype"] == "cf32_le" and meta["global"]["core:num_channels"] == 2
    assert [c["core:sample_start"] for c in meta["captures"]] == [0, 256, 512]
    assert meta["annotations"][0]["core:label"] == "a frame" and meta["annotations"][0]["core:sample_start"] == 522
    play = FileRadio(RadioConfig(driver="file", rx_channels=(0, 1), options={"path": str(path)}))
    for expected in reads:
        np.testing.assert_array_equal(play.rx(256), expected)
    with pytest.raises(RadioError, match="exhausted"):
        play.rx(1)


def test_loop_option_restarts(tmp_path):
    path, reads, _ = record(tmp_path, n_reads=1)
    play = FileRadio(RadioConfig(driver="file", options={"path": str(path), "loop": True}))
    play.rx(200)
    np.testing.assert_array_equal(play.rx(100), reads[0][:, :100])


def test_playback_errors(tmp_path):
    path, _, _ = record(tmp_path)
    with pytest.raises(RadioError, match="not found"):
        FileRadio(RadioConfig(driver="file", options={"path": str(tmp_path / "nope.sigmf-meta")}))
    with pytest.raises(ValueError, match="S/s"):
        FileRadio(RadioConfig(driver="file", sample_rate_sps=1e6, options={"path": str(path)}))
    with pytest.raises(ValueError, match="channel"):
        FileRadio(RadioConfig(driver="file", rx_channels=(0, 1), options={"path": str(path)}))
    with pytest.raises(ValueError, match="path"):
        FileRadio(RadioConfig(driver="file"))
    path.write_text("{not json")
    with pytest.raises(RadioError, match="unreadable"):
        FileRadio(RadioConfig(driver="file", options={"path": str(path)}))

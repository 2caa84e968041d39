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


def _write(tmp_path, name, raw: bytes, datatype: str, rate=1e6):
    meta = {"global": {"core:datatype": datatype, "core:sample_rate": rate, "core:version": "1.0.0",
                       "core:num_channels": 1}, "captures": [{"core:sample_start": 0}], "annotations": []}
    (tmp_path / f"{name}.sigmf-data").write_bytes(raw)
    (tmp_path / f"{name}.sigmf-meta").write_text(json.dumps(meta))
    return RadioConfig(driver="file", sample_rate_sps=rate, options={"path": str(tmp_path / f"{name}.sigmf-meta")})


@pytest.mark.parametrize("datatype, raw, expected", [
    ("ci16_le", np.array([16384, -32768, 0, 32767], "<i2").tobytes(), [0.5 - 1j, 0 + 32767 / 32768 * 1j]),
    ("ci16_be", np.array([16384, -32768, 0, 32767], ">i2").tobytes(), [0.5 - 1j, 0 + 32767 / 32768 * 1j]),
    ("ci8", np.array([64, -128, 0, 127], "i1").tobytes(), [0.5 - 1j, 0 + 127 / 128 * 1j]),
    ("cu8", np.array([255, 0, 127, 128], "u1").tobytes(), [1 - 1j, -0.5 / 127.5 + 0.5 / 127.5 * 1j]),
    ("cf64_le", np.array([0.25, -0.5, 1.0, 0.0], "<f8").tobytes(), [0.25 - 0.5j, 1.0 + 0j]),
])
def test_integer_and_other_sigmf_types_are_converted_to_full_scale(tmp_path, datatype, raw, expected):
    play = FileRadio(_write(tmp_path, "x", raw, datatype))
    assert play.samples_left == 2
    np.testing.assert_allclose(play.rx(2)[0], np.array(expected, np.complex64), atol=1e-6)
    assert play.samples_left == 0


def test_real_valued_recordings_are_refused_with_the_converter(tmp_path):
    with pytest.raises(RadioError, match="not complex IQ: convert it to cf32_le"):
        FileRadio(_write(tmp_path, "r", np.zeros(8, "<f4").tobytes(), "rf32_le"))
    with pytest.raises(RadioError, match="odd number|unreadable"):
        FileRadio(_write(tmp_path, "odd", np.zeros(3, "<i2").tobytes(), "ci16_le"))


def test_every_read_is_a_capture_segment_and_its_end_a_discontinuity(tmp_path):
    path, reads, _ = record(tmp_path)
    meta = json.loads(path.read_text())
    times = [c["core:datetime"] for c in meta["captures"]]
    assert times == sorted(times)  # each segment stamped when its read began
    play = FileRadio(RadioConfig(driver="file", options={"path": str(path)}))
    assert play.discontinuities == [256, 512]
    assert play.segment_left == 256
    play.rx(100)
    assert play.segment_left == 156
    play.rx(156)
    assert play.segment_left == 256  # the next segment, from its start
    play.rx(300)  # a plain read may still pass a boundary: the reader decides (semcom.exchange.Replay)
    assert play.segment_left == 768 - 556 and play.samples_left == 212


def test_segments_marked_contiguous_by_their_global_index_are_one_stream(tmp_path):
    cfg = _write(tmp_path, "g", np.zeros(2 * 30, "<f4").tobytes(), "cf32_le")
    meta_path = tmp_path / "g.sigmf-meta"
    meta = json.loads(meta_path.read_text())
    meta["captures"] = [{"core:sample_start": 0, "core:global_index": 1000},
                        {"core:sample_start": 10, "core:global_index": 1010},  # continues the first
                        {"core:sample_start": 20, "core:global_index": 1500}]  # samples dropped before it
    meta_path.write_text(json.dumps(meta))
    assert FileRadio(cfg).discontinuities == [20]


def test_unreadable_capture_segments_are_one_error(tmp_path):
    cfg = _write(tmp_path, "bad", np.zeros(8, "<f4").tobytes(), "cf32_le")
    meta_path = tmp_path / "bad.sigmf-meta"
    meta = json.loads(meta_path.read_text())
    meta["captures"] = [{"core:sample_start": 0, "core:global_index": 0},
                        {"core:sample_start": 2, "core:global_index": "soon"}]
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(RadioError, match="unreadable"):
        FileRadio(cfg)

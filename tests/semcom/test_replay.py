"""Recordings replayed with ``--radio file``: frames are never joined across capture segments."""

import json

import numpy as np
import pytest

from radio.config import RadioConfig
from semcom.data import load_images, sample_images_dir
from semcom.exchange import Replay
from semcom.ota import Transceiver, ofdm_for_radio, run_ota
from semcom.zoo import load_model

pytest.importorskip("sigmf")
IMAGES = load_images(sample_images_dir()).images


@pytest.fixture(scope="module")
def trx():
    return Transceiver(load_model("cnn"), "cnn", ofdm_for_radio(1, 1, 1.92e6))


def _play(path):
    from radio.file import FileRadio

    return FileRadio(RadioConfig(driver="file", sample_rate_sps=1.92e6, options={"path": str(path)}))


def test_a_frame_cut_by_a_segments_end_is_not_joined_to_the_next_segment(trx, tmp_path):
    """Segment 1 ends inside frame 1, segment 2 begins inside frame 2 (captured at another time):
    joined, frame 1's header would lead a body of both; replayed, frames 0 and 3 come out whole."""
    from tests.iq_captures import write_sigmf

    f = [trx.jscc_frame(IMAGES[i % len(IMAGES)], seq=i)[0][0] for i in range(4)]
    cut = int(0.6 * len(f[1]))
    gap = np.zeros(500, np.complex64)
    first, second = np.concatenate([gap, f[0], f[1][:cut]]), np.concatenate([f[2][len(f[2]) - cut:], gap, f[3], gap])
    y = np.concatenate([first, second])
    y = y + (0.003 * np.array([1, 1j]) @ np.random.default_rng(0).standard_normal((2, len(y)))).astype(np.complex64)
    write_sigmf(tmp_path / "two", y, 1.92e6)
    meta_path = tmp_path / "two.sigmf-meta"
    meta = json.loads(meta_path.read_text())
    meta["captures"] = [{"core:sample_start": 0}, {"core:sample_start": len(first)}]
    meta_path.write_text(json.dumps(meta))
    replay = Replay(_play(meta_path), trx)
    recs = [replay.next(0, None, 2 * len(f[0])) for _ in range(3)]
    assert [r.header.seq for r in recs[:2]] == [0, 3] and all(r.error is None for r in recs[:2])
    assert replay.cut_frames == 1 and "1 frame(s) cut by a capture segment's end" in recs[2].error


def test_replay_of_a_live_recording_decodes_what_the_live_run_decoded(trx, tmp_path):
    """Each live read is a segment; frames of the sim radio's cyclic buffer are cut at their ends
    (``cut_frames`` > 0, so joining them would splice frames), yet every frame replays as it was
    received live."""
    from radio.file import SigMFRecorder
    from tests.semcom.test_ota import sim_radio

    path = tmp_path / "live.sigmf-meta"
    with SigMFRecorder(sim_radio(seed=0), path) as radio:
        live = run_ota(radio, trx, IMAGES[0], frames=3)
    replayed = run_ota(_play(path), trx, IMAGES[0], frames=3)
    assert [r["psnr_db"] for r in replayed] == [r["psnr_db"] for r in live]
    assert all(r["psnr_db"] > 25 for r in live)
    replay = Replay(_play(path), trx)
    for _ in range(4):
        replay.next(0, None, 2 * trx.jscc_frame(IMAGES[0], 0)[0].shape[-1])
    assert replay.exhausted and replay.cut_frames > 0

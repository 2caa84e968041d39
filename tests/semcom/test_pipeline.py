import itertools
import threading

import numpy as np
import pytest

from semcom.data import load_images, sample_images_dir
from semcom.ota import Transceiver, ofdm_for_radio
from semcom.pipeline import PipelinedReceiver, reads_of
from semcom.runtime import TorchCodec
from semcom.zoo import load_model

IMAGES = load_images(sample_images_dir()).images
WORKER = "semcom-rx-front-end"


@pytest.fixture(scope="module")
def trx():
    return Transceiver(load_model("cnn"), "cnn", ofdm_for_radio(1, 1, 1.92e6))


def _stream(trx, n_frames, snr_db=25.0, seed=3):
    """``n_frames`` consecutive semantic frames after 300 silent samples, with noise and a 2 kHz CFO."""
    frames = [trx.jscc_frame(IMAGES[i % len(IMAGES)], seq=i)[0][0] for i in range(n_frames)]
    x = np.concatenate([np.zeros(300, np.complex64)] + frames)
    rng = np.random.default_rng(seed)
    noise = (rng.normal(size=len(x)) + 1j * rng.normal(size=len(x))) * np.sqrt(
        np.mean(np.abs(x) ** 2) / 2 * 10 ** (-snr_db / 10))
    k = np.arange(len(x))
    return (x * np.exp(2j * np.pi * 2e3 * k / 1.92e6) + noise).astype(np.complex64), len(frames[0])


def _serial(trx, reads):
    stream, out = trx.stream(), []
    for samples in reads:
        out += trx.decode(stream.push(samples))
    return out + trx.decode(stream.flush())


def _workers() -> list:
    return [t for t in threading.enumerate() if t.name == WORKER]


class _FailingCodec(TorchCodec):
    def decode(self, s_hat, snr_db, image_size):
        raise RuntimeError("decoder broke")


def test_pipelined_receptions_equal_the_serial_ones(trx):
    capture, length = _stream(trx, 7)
    capture = capture[: 300 + int(6.5 * length)]  # the seventh frame is cut by the stream's end
    read = int(1.7 * length)  # reads cut frames anywhere
    serial = _serial(trx, reads_of(capture, read))
    piped = list(PipelinedReceiver(trx, depth=1).receive(reads_of(capture, read)))
    assert [r.header.seq for r in piped[:6]] == [0, 1, 2, 3, 4, 5]
    assert piped[-1].truncated and piped[-1].image is None
    assert len(piped) == len(serial)
    for a, b in zip(piped, serial):
        assert (a.frame_start, a.frame_end, a.header, a.truncated, a.error) == \
            (b.frame_start, b.frame_end, b.header, b.truncated, b.error)
        assert (a.image is None) == (b.image is None)
        if a.image is not None:
            np.testing.assert_array_equal(a.image, b.image)
            assert a.snr_decoder_db == b.snr_decoder_db
    whole = trx.receive_all(capture)  # one read: the same frames
    assert [r.header.seq for r in whole[:6]] == [r.header.seq for r in piped[:6]]
    assert not _workers()


def test_an_error_while_reading_reaches_the_caller_and_stops_the_worker(trx):
    capture, length = _stream(trx, 2)

    def reads():
        yield capture[:length]
        raise OSError("radio went away")

    with pytest.raises(OSError, match="radio went away"):
        list(PipelinedReceiver(trx).receive(reads()))
    assert not _workers()


def test_a_decoder_error_reaches_the_caller_and_stops_an_endless_front_end(trx):
    broken = Transceiver(trx.model, "cnn", trx.ofdm, codec=_FailingCodec(trx.model))
    capture, length = _stream(trx, 2)
    endless = itertools.cycle(reads_of(capture, length))
    with pytest.raises(RuntimeError, match="decoder broke"):
        list(PipelinedReceiver(broken).receive(endless))
    assert not _workers()


def test_closing_early_stops_the_worker(trx):
    capture, length = _stream(trx, 2)
    receptions = PipelinedReceiver(trx).receive(itertools.cycle(reads_of(capture, length)))
    first = list(itertools.islice(receptions, 3))
    assert [r.header.seq for r in first] == [0, 1, 0]  # the cycle repeats the two frames
    receptions.close()
    assert not _workers()


def test_bad_arguments_are_refused(trx):
    with pytest.raises(ValueError, match="depth"):
        PipelinedReceiver(trx, depth=0)
    with pytest.raises(ValueError, match="read_samples"):
        list(reads_of(np.zeros(10, np.complex64), 0))

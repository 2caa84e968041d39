"""The receiver survives arbitrary IQ: every buffer gives "no frame" or a clear error."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from semcom.ota import Transceiver, ofdm_for_radio
from semcom.zoo import load_model

TRX = Transceiver(load_model("cnn"), "cnn", ofdm_for_radio(1, 1, 1.92e6))
FRAME, _ = TRX.jscc_frame(np.zeros((32, 32, 3), np.uint8) + 128, seq=0)

values = st.complex_numbers(allow_nan=True, allow_infinity=True, width=64)


def _check(buf):
    """The one-frame and the streaming receiver both give frames or "no frame", never an exception."""
    rec = TRX.receive(buf)
    assert rec.image is None or rec.image.shape == (32, 32, 3)
    assert rec.detected or rec.error == "no frame detected"
    for rec in TRX.receive_all(buf):
        assert rec.detected and (rec.image is None or rec.image.shape == (32, 32, 3))
        assert rec.image is not None or rec.error


@st.composite
def mutated_frames(draw):
    """A real frame, cut, corrupted or with a flipped header."""
    frame = FRAME[0].copy()
    kind = draw(st.sampled_from(["truncate", "noise", "header", "scale", "nan"]))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    if kind == "truncate":
        frame = frame[: draw(st.integers(0, len(frame)))]
    elif kind == "noise":
        frame = frame + rng.normal(0, draw(st.floats(0, 10)), len(frame))
    elif kind == "header":
        start = TRX.preamble.length
        frame[start:start + 100] *= -1  # flips header bits: the CRC must catch it
    elif kind == "scale":
        frame = frame * draw(st.sampled_from([0.0, 1e-30, 1e30]))
    else:
        frame[rng.integers(0, len(frame), 50)] = np.nan
    return np.concatenate([np.zeros(draw(st.integers(0, 500)), np.complex64), frame.astype(np.complex64)])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays(np.complex64, st.integers(0, 6000), elements=values))
def test_arbitrary_buffers(buf):
    _check(buf)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_frames())
def test_damaged_frames(buf):
    _check(buf)
    _check(np.concatenate([buf, buf, buf[: len(buf) // 2]]))  # a stream of damaged frames, the last one cut


@pytest.mark.slow
@settings(max_examples=100_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays(np.complex64, st.integers(0, 4000), elements=values))
def test_arbitrary_buffers_1e5(buf):
    _check(buf)


def test_header_flip_is_reported_not_decoded():
    frame = FRAME[0].copy()
    start = TRX.preamble.length
    frame[start:start + 200] *= -1
    rec = TRX.receive(np.concatenate([np.zeros(64, np.complex64), frame]))
    assert rec.detected and not rec.header_ok and "header" in rec.error

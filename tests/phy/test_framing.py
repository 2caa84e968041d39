"""Model-free framing: assembly, reception, level normalisation, streams across reads."""

import numpy as np
import pytest
import torch

from phy.frame import FrameError, FrameHeader, chase_decode
from phy.framing import FrameReceiver, FrameStream, assemble_frame
from phy.ofdm import preset

CFG = preset("seed-siso")
BODY = 1500  # samples of a test body (its content does not matter to framing)


def header(seq, num_symbols=100):
    return FrameHeader(scheme=0, model_id=0xC0FFEE01, ratio_num=1, ratio_den=6, height=32, width=32,
                       num_symbols=num_symbols, seq=seq)


def receiver(check=None):
    return FrameReceiver(CFG, lambda h: BODY, check)


def frame(seq, rng):
    body = torch.as_tensor((rng.standard_normal((1, BODY)) + 1j * rng.standard_normal((1, BODY))) * 0.5,
                           dtype=torch.complex64)
    return assemble_frame(receiver().preamble, header(seq), body, CFG)[0]


def stream_of(n_frames, snr_db=25.0, seed=0):
    rng = np.random.default_rng(seed)
    x = np.concatenate([np.zeros(700, np.complex64)] + [frame(i, rng) for i in range(n_frames)])
    noise = (rng.standard_normal(len(x)) + 1j * rng.standard_normal(len(x))) / np.sqrt(2)
    return (x + noise * np.sqrt(np.mean(np.abs(x) ** 2) * 10 ** (-snr_db / 10))).astype(np.complex64)


def test_frames_are_found_in_order_with_their_bodies():
    y = stream_of(4)
    frames = list(receiver().frames(y))
    assert [f.header.seq for f in frames] == [0, 1, 2, 3]
    assert all(f.body is not None and f.body.shape == (1, BODY) and not f.truncated for f in frames)
    cut = list(receiver().frames(y[: frames[3].frame_start + 900]))
    assert cut[-1].truncated and cut[-1].body is None and "ends inside" in cut[-1].error


def test_a_refused_header_has_no_body():
    frames = list(receiver(check=lambda h: "not mine" if h.seq == 1 else None).frames(stream_of(3)))
    assert [(f.header.seq, f.error, f.body is None) for f in frames] == [(0, None, False), (1, "not mine", True),
                                                                       (2, None, False)]


@pytest.mark.parametrize("scale", [1e-5, 1.0, 1e3])
def test_bodies_are_normalised_to_the_transmitted_level(scale):
    """-100 .. +60 dB: the body and its noise variance come out the same (an AGC from the LTF)."""
    y = stream_of(1, snr_db=20.0)
    ref = next(receiver().frames(y))
    f = next(receiver().frames(y * scale))
    torch.testing.assert_close(f.body, ref.body, rtol=1e-3, atol=1e-4)
    assert f.noise_var == pytest.approx(ref.noise_var, rel=1e-3)
    assert f.noise_var == pytest.approx(10 ** (-f.detection.snr_db / 10), rel=1e-3)


@pytest.mark.parametrize("read", [997, 2048, 4000, 30000])
def test_stream_finds_every_frame_once_across_reads(read):
    """Whatever the read length, each frame is found once, whole, with its stream position."""
    y = stream_of(5, seed=1)
    whole = [(f.header.seq, f.frame_start) for f in receiver().frames(y)]
    stream = FrameStream(receiver())
    found = []
    for a in range(0, len(y), read):
        found += [(f.header.seq, f.frame_start) for f in stream.push(y[a:a + read])]
    assert stream.flush() == []
    assert found == whole and len(found) == 5
    assert stream.position == len(y)


def test_stream_flush_reports_a_cut_frame_and_memory_stays_bounded():
    y = stream_of(2, seed=2)
    stream = FrameStream(receiver())
    cut_at = len(y) - BODY // 2
    got = stream.push(y[:cut_at])
    assert [f.header.seq for f in got] == [0]
    last = stream.flush()
    assert len(last) == 1 and last[0].truncated and last[0].header.seq == 1
    quiet = FrameStream(receiver())
    for _ in range(20):
        assert quiet.push(np.zeros(5000, np.complex64)) == []
    assert quiet._tail.shape[-1] <= receiver().overlap


def test_a_burst_over_one_header_symbol_does_not_lose_the_header():
    """Each bit's two copies are weighted by their OFDM symbol's noise: a burst 10 dB above the
    frame over one header symbol is outvoted by the clean copies (equal weights lose the CRC)."""
    rng = np.random.default_rng(3)
    y = stream_of(1, snr_db=30.0)
    rx = receiver()
    start = next(rx.frames(y)).detection.start  # first header sample
    power = np.mean(np.abs(y[start:start + rx.header_length]) ** 2)
    hit = slice(start + 3 * CFG.symbol_length, start + 4 * CFG.symbol_length)
    burst = (rng.standard_normal(CFG.symbol_length) + 1j * rng.standard_normal(CFG.symbol_length)) / np.sqrt(2)
    y[hit] += (burst * np.sqrt(10 * power)).astype(np.complex64)
    frame = next(rx.frames(y))
    assert frame.header == header(0), frame.error


def test_chase_decoding_repairs_weak_bits_only():
    llr = (1.0 - 2.0 * header(5).to_bits()) * 4.0
    weak = llr.copy()
    weak[[3, 50, 170]] *= -0.1  # three wrong bits, each the least sure
    assert chase_decode(weak) == header(5)
    strong = llr.copy()
    strong[50] *= -2.0  # a wrong bit the receiver was sure of: not guessed
    with pytest.raises(FrameError, match="CRC"):
        chase_decode(strong)
    with pytest.raises(FrameError, match="CRC"):  # more weak errors than the patterns cover
        chase_decode(np.where(np.arange(len(llr)) % 20 == 0, -0.1 * llr, llr))


def test_a_tone_on_one_subcarrier_does_not_lose_the_header():
    """A carrier 20 dB above the frame's REs on one used subcarrier, over the whole frame: the
    header's REs there are discounted, so the other copies of their bits decide."""
    y = stream_of(1, snr_db=30.0)
    rx = receiver()
    start = next(rx.frames(y)).detection.start
    power = np.mean(np.abs(y[start:start + rx.header_length]) ** 2)
    k = CFG.used_subcarriers[30] - CFG.fft_size // 2  # cycles per FFT length
    n = np.arange(len(y))
    y = y + (np.sqrt(100 * power / CFG.num_used_subcarriers) * np.exp(2j * np.pi * k * n / CFG.fft_size)).astype(
        np.complex64) * (n >= start)
    frame = next(rx.frames(y))
    assert frame.header == header(0), frame.error

"""Frames on the air, without a model: assembly, reception and streams of frames.

Frame: ``[STF + LTF][header][body: OFDM slots with pilots][gap]`` (see
:mod:`phy.frame` for the header, :mod:`phy.sync` for the preamble). Preamble
and header go out on the first antenna, the body on all of them.

The receiver side finds each preamble (:class:`phy.sync.FrameSearch`), removes
the carrier offset, decodes the header (CRC-checked) and cuts out the body.
It also normalises the frame to the transmitted level (an AGC stage: the LTF
carries unit power per resource element, so the frame is divided by the square
root of the received LTF power), hence everything after it (channel
estimation, equalisation, a decoder) sees the same numbers whatever the
capture's scale. What the body carries (a JSCC latent, a digital codeword) is
the application's business: it is handed over as an :class:`RxFrame`.

:class:`FrameStream` does the same over consecutive reads of a stream: it keeps
the unread tail of each read (a frame cut by the read's end, or the last
``overlap`` samples where a preamble may begin), so a frame across a read
boundary is found whole in the next read.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np
import torch

from .frame import FrameError, FrameHeader, decode_headers, header_length, header_waveform, ltf_channel
from .ofdm import OFDMConfig
from .sync import Detection, FrameSearch, Preamble, cfo_rotation
from .timing import body_margin

PEAK_AMPLITUDE = 0.7  # of the radio's full scale
GAP_SYMBOLS = 4  # silent OFDM symbols after each frame
MAX_STREAM_SAMPLES = 1 << 22  # a stream never holds more than this many samples per antenna


def assemble_frame(preamble: Preamble, header: FrameHeader, body: torch.Tensor, cfg: OFDMConfig,
                   peak: float = PEAK_AMPLITUDE, gap_symbols: int = GAP_SYMBOLS) -> np.ndarray:
    """Preamble + header (first antenna) + ``body`` + a silent gap, scaled to ``peak``.

    :input body: [tx, samples] complex (OFDM slots, e.g. from ``OFDMLink.transmit``).
    :output: [tx, n] complex64 numpy, peak amplitude ``peak``.
    """
    if body.dim() != 2 or body.shape[0] != cfg.num_tx_ant:
        raise ValueError(f"body must be [{cfg.num_tx_ant}, samples], got {tuple(body.shape)}")
    first = torch.cat([preamble.samples, header_waveform(header, cfg)])
    lead = torch.zeros(cfg.num_tx_ant, len(first), dtype=torch.complex64)
    lead[0] = first
    gap = torch.zeros(cfg.num_tx_ant, gap_symbols * cfg.symbol_length, dtype=torch.complex64)
    frame = torch.cat([lead, body.to(torch.complex64), gap], dim=-1)
    return (frame * (peak / frame.abs().max())).numpy()


@dataclass
class RxFrame:
    """One frame found in a capture (indices into that capture, or into the stream for
    :class:`FrameStream`).

    :param detection: what the preamble gave (timing, CFO, SNR, levels in the capture's units).
    :param frame_start: where its preamble begins.
    :param end: the first sample after what was read of it (header, and body when there is one).
    :param header: the decoded header, or None when it failed.
    :param body: [rx, samples] complex64, CFO-corrected and normalised to the transmitted level
        (unit-power resource elements through a unit-gain channel), or None.
    :param tail: [rx, margin] the samples after the body, treated alike and zero-padded where the
        capture ends (room to retime the body, see :func:`phy.timing.retime`), or None.
    :param noise_var: noise variance per resource element after that normalisation.
    :param truncated: the capture ends inside this frame.
    :param error: why the frame cannot be used, or None.
    """

    detection: Detection
    frame_start: int
    end: int
    header: FrameHeader | None = None
    body: torch.Tensor | None = None
    tail: torch.Tensor | None = None
    noise_var: float = 0.0
    truncated: bool = False
    error: str | None = None


class FrameReceiver:
    """Finds, checks and cuts out every frame of a capture, for one numerology.

    :param cfg: numerology and antennas.
    :param sample_rate_sps: the capture's sample rate (default: the numerology's).
    :param body_samples: ``header -> samples of its body`` (the application's resource grid).
    :param check: ``header -> reason to refuse it, or None``; a refused frame has no body.
    """

    def __init__(self, cfg: OFDMConfig, body_samples: Callable[[FrameHeader], int],
                 check: Callable[[FrameHeader], str | None] | None = None, sample_rate_sps: float | None = None):
        self.cfg = cfg
        self.preamble = Preamble(cfg)
        self.fs = float(sample_rate_sps or cfg.sample_rate_hz)
        self.body_samples = body_samples
        self.check = check
        self.header_length = header_length(cfg)

    @property
    def overlap(self) -> int:
        """Samples a streaming reader keeps from one read for the next: a preamble that begins
        there may be cut (twice the preamble, with room for the search's windows)."""
        return 2 * self.preamble.length

    def frames(self, capture, search_from: int = 0) -> Iterator[RxFrame]:
        """Every frame of ``capture`` ([rx, n] or [n], anything), in order, to the end of the
        capture; a frame cut by the end comes last with ``truncated=True``. Never raises on bad IQ.

        The frames the search has found ahead are cut out together (:meth:`_cut`, one batch)."""
        search = FrameSearch(capture, self.preamble, self.fs)
        y, pos, cut = search.samples, search_from, {}
        while y is not None:
            det = search.find(pos)
            if det is None:
                return
            if det.start not in cut:
                cut.update(self._cut(y, [det, *(d for d in search.found_after(det.start) if d.start not in cut)]))
            frame = cut[det.start]
            yield frame
            if frame.truncated:
                return
            pos = frame.end

    def _cut(self, y: torch.Tensor, dets: list[Detection]) -> dict[int, RxFrame]:
        """Header and (normalised, CFO-corrected) body of the frames ``dets`` found in ``y`` [rx, n], by
        :attr:`Detection.start`; headers in one batch, bodies in one per length."""
        n_fft, n = self.cfg.fft_size, y.shape[-1]
        frames = {d.start: RxFrame(detection=d, frame_start=d.preamble_start, end=d.start,
                                   noise_var=d.noise_var / d.signal_power) for d in dets}
        whole = [d for d in dets if d.start + self.header_length <= n]
        for d in dets[len(whole):]:  # starts are ascending: the capture ends inside these headers
            frames[d.start].error, frames[d.start].truncated = "header: capture ends inside the header", True
        bodies: dict[int, list[Detection]] = {}
        if whole:
            front = self._windows(y, whole, -2 * n_fft, 2 * n_fft + self.header_length)  # [B, rx, LTF + header]
            for d, header in zip(whole, decode_headers(front, 2 * n_fft, ltf_channel(front, 0, self.preamble),
                                                       self.cfg)):
                frame = frames[d.start]
                if isinstance(header, FrameError):
                    frame.error = f"header: {header}"
                    continue
                frame.header, frame.end = header, d.start + self.header_length
                frame.error = self.check(header) if self.check is not None else None
                if frame.error:
                    continue
                length = self.body_samples(header)
                if frame.end + length > n:
                    frame.error, frame.truncated = "capture ends inside the frame body", True
                    continue
                bodies.setdefault(length, []).append(d)
        for length, group in bodies.items():
            w = self._windows(y, group, self.header_length, length + body_margin(length))  # [B, rx, body + margin]
            for d, samples in zip(group, w):
                frame = frames[d.start]
                frame.body, frame.tail, frame.end = samples[:, :length], samples[:, length:], frame.end + length
        return frames

    def _windows(self, y: torch.Tensor, dets: list[Detection], offset: int, length: int) -> torch.Tensor:
        """``y[:, d.start + offset:][:, :length]`` of each of ``dets`` [B, rx, length], brought to the
        transmitted level (AGC: the LTF's REs to unit power) and CFO-corrected; zeros past the capture's end."""
        first = torch.as_tensor([d.start + offset for d in dets])
        k = first[:, None] + torch.arange(length)  # [B, length]
        w = y[:, k.clamp_max(y.shape[-1] - 1)].transpose(0, 1)  # [B, rx, length]
        w = torch.where((k < y.shape[-1])[:, None], w, torch.zeros((), dtype=w.dtype))
        gain = torch.as_tensor([1.0 / math.sqrt(d.signal_power) for d in dets], dtype=torch.float32)
        return w * gain[:, None, None] * cfo_rotation([d.cfo_hz for d in dets], first, length, self.fs)[:, None]


class FrameStream:
    """Frames over consecutive reads of one stream (a radio, a recording read in pieces).

    Each :meth:`push` searches the samples kept from the previous read followed by
    the new ones, returns the frames complete in them (``frame_start`` / ``end`` as
    stream indices) and keeps the unread tail: from a frame cut by the read's end,
    else the last ``receiver.overlap`` samples. :meth:`flush` ends the stream and
    returns a frame still cut, as truncated. Memory stays below ``max_samples``
    per antenna (a frame longer than that is dropped, reported truncated).
    """

    def __init__(self, receiver: FrameReceiver, max_samples: int = MAX_STREAM_SAMPLES):
        self.receiver = receiver
        self.max_samples = int(max_samples)
        self._tail: np.ndarray | None = None  # [rx, m] complex64
        self._origin = 0  # stream index of the tail's first sample
        self._cut: RxFrame | None = None  # the frame cut by the last read's end

    @property
    def position(self) -> int:
        """Stream index of the first sample not yet read."""
        return self._origin + (0 if self._tail is None else self._tail.shape[-1])

    def push(self, samples) -> list[RxFrame]:
        """Frames completed by ``samples`` ([rx, n] or [n] complex), in order."""
        y = np.asarray(samples)
        y = y[None] if y.ndim == 1 else y
        if y.ndim != 2 or not np.iscomplexobj(y) or (self._tail is not None and y.shape[0] != self._tail.shape[0]):
            raise ValueError(f"FrameStream.push expects [rx, n] complex samples, got {y.shape} {y.dtype}")
        buf = y.astype(np.complex64) if self._tail is None else np.concatenate([self._tail, y.astype(np.complex64)], -1)
        out, keep, self._cut = [], max(0, buf.shape[-1] - self.receiver.overlap), None
        for frame in self.receiver.frames(buf):
            if frame.truncated:
                self._cut, keep = self._shift(frame), frame.frame_start
                break
            out.append(self._shift(frame))
            keep = max(keep, frame.end)
        if buf.shape[-1] - keep > self.max_samples:  # a frame longer than the stream may hold
            out.append(replace(self._cut, error="frame longer than the stream buffer: dropped"))
            keep, self._cut = buf.shape[-1] - self.receiver.overlap, None
        self._tail = buf[:, keep:]
        self._origin += keep
        return out

    def flush(self) -> list[RxFrame]:
        """End of the stream: the frame it ends inside (truncated), if any; the stream is emptied."""
        cut = [self._cut] if self._cut is not None else []
        self._origin, self._tail, self._cut = self.position, None, None
        return cut

    def _shift(self, frame: RxFrame) -> RxFrame:
        return replace(frame, frame_start=frame.frame_start + self._origin, end=frame.end + self._origin)

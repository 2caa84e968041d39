"""One frame exchange with a radio: send a frame cyclically and capture until a frame of its kind is
received, or read the next one from a recording (:class:`Replay`); images larger than a frame go as
strips of whole rows (:func:`strips`) whose receptions are joined back (:func:`join_strips`)."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from phy.framing import RxFrame

if TYPE_CHECKING:  # semcom.ota imports this module
    from .ota import Reception, Transceiver

# Pixels per frame: 65536 px = 32768 symbols at k/n 1/6, ~34 ms at 1.92 Msps with the seed numerology,
# short enough that a frame sees little phase-noise drift; a 32x32 image is one frame.
MAX_FRAME_PIXELS = 1 << 16


def strips(height: int, width: int, max_pixels: int = MAX_FRAME_PIXELS) -> list[slice]:
    """Row ranges of the frames an image of ``height`` x ``width`` is sent in: whole rows, at most
    ``max_pixels`` pixels each (one frame when it fits)."""
    if max_pixels < width:
        raise ValueError(f"max_frame_pixels {max_pixels} is less than one row of {width} pixels")
    rows = max_pixels // width
    return [slice(r, min(r + rows, height)) for r in range(0, height, rows)]


def join_strips(parts: list[Reception]) -> Reception:
    """One reception of an image sent as ``parts`` (its strips, top to bottom): detected when all were,
    the first part's estimates, the first error, and the image when every part gave one."""
    first = parts[0]
    if len(parts) == 1:
        return first
    images = [r.image for r in parts]
    whole = np.concatenate(images) if all(im is not None for im in images) else None
    return replace(first, detected=all(r.detected for r in parts), header_ok=all(r.header_ok for r in parts),
                   image=whole, error=next((r.error for r in parts if r.error), None),
                   warning=next((r.warning for r in parts if r.warning), None),
                   fault_kinds=sorted({k for r in parts for k in r.fault_kinds}))


def exchange(radio, transceiver: Transceiver, frame: np.ndarray, baseline=None, label: str = "",
              replay: "Replay | None" = None) -> Reception:
    """Send ``frame`` cyclically and listen until a frame of its kind is received, for up to the
    radio's pipeline latency (samples sent earlier may still be arriving); from a recording, the
    next frame of its kind. The reception's ``fault_kinds`` come from the radio's event log."""
    radio.tx(frame, cyclic=True)
    length = 2 * frame.shape[-1]  # one whole frame inside, whatever the start
    scheme = 1 if baseline is not None else 0
    if replay is not None:
        return replay.next(scheme, baseline, length)
    tries = 1 + math.ceil(getattr(radio, "latency_samples", 0) / length)
    first = start = getattr(radio, "position", 0)
    for _ in range(tries):
        start = getattr(radio, "position", 0)
        capture = radio.rx(length)
        rec = transceiver.receive(capture, baseline, scheme=scheme)
        if rec.header_ok and not rec.truncated:
            break
    if hasattr(radio, "faults_between"):
        decoded = rec.image is not None and rec.frame_end is not None
        span = (start + rec.frame_start, start + rec.frame_end) if decoded else (first, radio.position)
        rec.fault_kinds = radio.faults_between(*span)
    if rec.detected and hasattr(radio, "annotate"):  # a SigMF recorder: mark the frame
        radio.annotate(rec.frame_start, frame.shape[-1], label or "semcom frame",
                       f"cfo_hz={rec.cfo_hz:.1f} snr_est_db={rec.snr_est_db:.2f} header_ok={rec.header_ok}")
    return rec


class Replay:
    """A recording read in pieces (``radio.rx`` of at most ``radio.samples_left``), its frames in
    order, each once, across reads; preambles whose header fails are counted, not returned.

    A read never passes a discontinuity of the recording (the end of a capture segment, see
    ``radio.segment_left``): the stream is restarted there and a frame it cuts is dropped and counted
    in ``cut_frames`` (its rest, if recorded at all, was captured at another time), as a live read's
    end cuts it."""

    def __init__(self, radio, transceiver: Transceiver):
        self.radio, self.trx = radio, transceiver
        self.stream = transceiver.stream()
        self.queue: list[RxFrame] = []
        self.flushed = False
        self.failed_headers = 0
        self.cut_frames = 0

    @property
    def exhausted(self) -> bool:
        return self.flushed and not self.queue

    def next(self, scheme: int, baseline, read: int) -> Reception:
        while True:
            while self.queue:
                frame = self.queue.pop(0)
                if frame.header is None:
                    self.failed_headers += 1
                elif frame.header.scheme == scheme:
                    return self.trx.decode([frame], baseline)[0]
            if self.flushed:
                skipped = [f"{self.failed_headers} preamble(s) with a failed header"] if self.failed_headers else []
                skipped += [f"{self.cut_frames} frame(s) cut by a capture segment's end"] if self.cut_frames else []
                failed = f" ({', '.join(skipped)})" if skipped else ""
                from .ota import Reception

                return Reception(detected=False, error=f"end of the recording: no further frame{failed}")
            left = int(self.radio.samples_left)
            if left > 0:
                segment = int(getattr(self.radio, "segment_left", left))
                self.queue += self.stream.push(self.radio.rx(min(read, segment)))
                if segment <= read and segment < left:  # at a discontinuity: no frame spans it
                    self.cut_frames += len(self.stream.flush())
            else:
                self.queue += self.stream.flush()
                self.flushed = True

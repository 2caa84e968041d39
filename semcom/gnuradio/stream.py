"""Frames out of an endless sample stream, for the sink blocks (free of GNU Radio).

:class:`StreamReceiver` keeps the samples that have arrived, and whenever two frame lengths are
there it runs :meth:`semcom.ota.Transceiver.receive_all` on up to ``BATCH_FRAMES`` frames at once,
so when decoding falls behind, batches grow and decoding catches up. Past ``MAX_BACKLOG_FRAMES``
the oldest samples are dropped (and counted) so that memory stays bounded.
"""

from __future__ import annotations

import numpy as np

BATCH_FRAMES = 16  # at most this many frames per receive_all call
MAX_BACKLOG_FRAMES = 64  # beyond this backlog the oldest samples are dropped


class StreamReceiver:
    """Every frame of a sample stream, each returned once, in order.

    :param trx: a :class:`semcom.ota.Transceiver`.
    :param frame_length: samples of one frame (the longest expected).
    :param baseline: the digital-baseline decoder handed to ``receive_all`` (None: semantic only).
    """

    def __init__(self, trx, frame_length: int, baseline=None):
        self.trx, self.frame_length, self.baseline = trx, int(frame_length), baseline
        self._buffer = np.zeros(0, np.complex64)
        self.dropped_samples = 0

    def push(self, samples: np.ndarray) -> list:
        """Append ``samples`` [n] complex64; returns the receptions completed by them.
        Raises what ``receive_all`` raises (the caller logs it); the samples concerned are dropped."""
        length = self.frame_length
        self._buffer = np.concatenate([self._buffer, np.asarray(samples, np.complex64)])
        if len(self._buffer) > MAX_BACKLOG_FRAMES * length:  # decoding is behind the stream
            excess = len(self._buffer) - BATCH_FRAMES * length
            self.dropped_samples += excess
            self._buffer = self._buffer[excess:]
        out = []
        while len(self._buffer) >= 2 * length:
            chunk = self._buffer[: BATCH_FRAMES * length]
            keep, received = self._receive(chunk)
            out += received
            if keep <= 0 and len(chunk) == BATCH_FRAMES * length:
                keep = length  # a frame longer than a whole batch: skip it
            self._buffer = self._buffer[max(keep, 0):]
            if len(chunk) < BATCH_FRAMES * length:
                break  # everything that has arrived is read: wait for more
        return out

    def flush(self) -> list:
        """The receptions of whatever is left (at the end of the stream)."""
        chunk, self._buffer = self._buffer, np.zeros(0, np.complex64)
        return self._receive(chunk)[1] if len(chunk) else []

    def _receive(self, chunk: np.ndarray) -> tuple[int, list]:
        """(where the unread part of ``chunk`` starts, the whole frames found before it). The unread
        part begins at a frame cut by the chunk's end, or one frame length before the end, where a
        preamble may be cut."""
        keep_from = len(chunk) - self.frame_length
        try:
            received = self.trx.receive_all(chunk, self.baseline)
        except Exception:
            self._buffer = self._buffer[len(chunk):]  # drop what made it fail, then report
            raise
        done = []
        for rec in received:
            if rec.truncated:
                return rec.frame_start, done
            keep_from = max(keep_from, rec.frame_start + self.trx.preamble.length)  # never find it twice
            done.append(rec)
        return keep_from, done

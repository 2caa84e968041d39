"""A receiver in two overlapped stages: the front end on a worker thread, the JSCC decoder on the caller's.

The front end (:class:`phy.framing.FrameStream` over consecutive reads: frame search, headers,
bodies cut; then :meth:`semcom.ota.Transceiver.equalise`: OFDM demodulation, estimation,
equalisation, digital bodies) works on read ``i + 1`` while the decoder
(:meth:`semcom.ota.Transceiver.finish`) runs on the frames of read ``i``. ONNX Runtime and
torch's kernels release the GIL, so on two cores the two stages run side by side; give each
one thread (``torch.set_num_threads(1)`` and a codec built with ``threads=1``).

Receptions come out in stream order, each once, as with :meth:`Transceiver.stream` and
:meth:`Transceiver.decode` read by read (the same numbers: the same reads give the same
frames). At most ``depth`` equalised reads wait for the decoder (memory stays bounded when
decoding is slower than the front end). An exception in either stage ends the iteration and is
raised to the caller; closing the iterator early (``break``) stops the worker and joins it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator

import numpy as np

from .ota import Reception, Transceiver

DEPTH = 2  # equalised reads waiting for the decoder at most
_POLL_S = 0.05  # how often a worker blocked on a full queue looks whether it should stop


class _End:
    """The worker has read the whole stream."""


class _Failed:
    """The worker stopped on ``error``."""

    def __init__(self, error: BaseException):
        self.error = error


class PipelinedReceiver:
    """Frames of a stream of reads, the front end on a worker thread overlapped with the decoder.

    :param trx: the transceiver (model, numerology, codec).
    :param baseline: the digital-baseline decoder (see :meth:`Transceiver.decode`), or None.
    :param depth: equalised reads that may wait for the decoder (>= 1).
    """

    def __init__(self, trx: Transceiver, baseline=None, depth: int = DEPTH):
        if int(depth) < 1:
            raise ValueError(f"depth must be >= 1, got {depth}")
        self.trx, self.baseline, self.depth = trx, baseline, int(depth)

    def receive(self, reads: Iterable) -> Iterator[Reception]:
        """Receptions of every frame in ``reads`` (consecutive [rx, n] or [n] complex sample blocks of
        one stream), in order; a frame cut by the stream's end comes last, ``truncated``. ``reads`` is
        consumed on the worker thread."""
        pending: queue.Queue = queue.Queue(maxsize=self.depth)
        stop = threading.Event()

        def put(item) -> bool:
            while not stop.is_set():
                try:
                    pending.put(item, timeout=_POLL_S)
                    return True
                except queue.Full:
                    continue
            return False

        def front() -> None:
            try:
                stream = self.trx.stream()
                for samples in reads:
                    if stop.is_set() or not put(self.trx.equalise(stream.push(samples), self.baseline)):
                        return
                put(self.trx.equalise(stream.flush(), self.baseline))
                put(_End)
            except BaseException as exc:  # handed to the caller's thread
                put(_Failed(exc))

        worker = threading.Thread(target=front, name="semcom-rx-front-end", daemon=True)
        worker.start()
        try:
            while True:
                item = pending.get()
                if item is _End:
                    return
                if isinstance(item, _Failed):
                    raise item.error
                yield from self.trx.finish(item)
        finally:
            stop.set()
            worker.join()


def reads_of(capture, read_samples: int) -> Iterator[np.ndarray]:
    """``capture`` ([rx, n] or [n]) in consecutive reads of ``read_samples`` samples (the last shorter)."""
    if int(read_samples) < 1:
        raise ValueError(f"read_samples must be >= 1, got {read_samples}")
    y = np.asarray(capture)
    for start in range(0, y.shape[-1], int(read_samples)):
        yield y[..., start:start + int(read_samples)]

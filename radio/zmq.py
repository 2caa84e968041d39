"""``zmq``: exchange IQ with a GNU Radio flowgraph over ZeroMQ.

The flowgraph is the medium: its ``ZMQ PULL Source`` takes what we transmit,
its ``ZMQ PUSH Sink`` gives back what we receive (``gr_complex`` items, no
tags), so a flowgraph's own Pluto/USRP/channel-model blocks can sit in between.
``radio/gnuradio/zmq_channel.py`` is such a flowgraph (a channel model).

Options (defaults on loopback): ``tx_address`` (``tcp://127.0.0.1:49201``: we
bind a PUSH socket there, the flowgraph's source connects), ``rx_address``
(``tcp://127.0.0.1:49202``: the flowgraph's sink binds, we connect a PULL
socket), ``settle_s`` (0.3: seconds of samples dropped after each ``tx``) and
``latency_s`` (0.3: how much longer samples sent before it may still arrive;
a receiver listens that long for the new frame). Loopback TCP buffers held
35-245 ms of IQ at 1.92 MS/s in our measurements, with our socket buffers
reduced to 64 kB (now 256 kB, see ``SOCKET_BUFFER``). ``chunk``: 4096 samples
per message, at most two queued on our side. A cyclic buffer is re-sent by a thread; the flowgraph's throttle
sets the pace.
"""

from __future__ import annotations

import threading

import numpy as np

from .base import Capabilities, Radio, RadioError
from .config import RadioConfig

OPTIONS = {"tx_address": "tcp://127.0.0.1:49201", "rx_address": "tcp://127.0.0.1:49202",
           "settle_s": 0.3, "latency_s": 0.3, "chunk": 4096}
# Kernel socket buffers: small, so little stale IQ waits in them, but at least four loopback TCP
# segments (MSS ~64 kB): at 64 kB the receive window fell below one segment and the flowgraph's
# sends waited for TCP's persist timer, 4.7 MB every 15 s (ss: rwnd_limited 99 %; see
# benchmarks/results/soak_zmq_stall.md).
SOCKET_BUFFER = 1 << 18
STOP_POLL_MS = 50  # the cyclic sender checks for a stop this often while the flowgraph is full


def _import_zmq():
    try:
        import zmq
    except ImportError as exc:
        raise RadioError("the zmq radio needs pyzmq: pip install 'semcom-sdr[zmq]'") from exc
    return zmq


class ZMQRadio(Radio):
    """One TX and one RX stream to a GNU Radio flowgraph (single channel)."""

    capabilities = Capabilities(num_tx=1, num_rx=1, sample_rate_range_sps=(1.0, 1e9))

    def __init__(self, cfg: RadioConfig | None = None):
        self._ctx = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._tx_error: str | None = None
        self._pending = np.zeros(0, np.complex64)
        super().__init__(cfg)

    def _configure(self, cfg: RadioConfig) -> None:
        unknown = sorted(set(cfg.options) - set(OPTIONS))
        if unknown:
            raise ValueError(f"zmq radio: unknown option(s) {unknown}; known: {sorted(OPTIONS)}")
        self.opts = {**OPTIONS, **cfg.options}
        zmq = _import_zmq()
        self._zmq = zmq
        if self._ctx is not None:
            self._close()
        self._ctx = zmq.Context()
        timeout_ms = int(cfg.timeout_s * 1000)
        try:
            self._push = self._ctx.socket(zmq.PUSH)
            self._push.setsockopt(zmq.SNDTIMEO, timeout_ms)
            self._push.setsockopt(zmq.SNDHWM, 2)  # little stale data in flight when the buffer changes
            self._push.setsockopt(zmq.SNDBUF, SOCKET_BUFFER)  # and small kernel buffers (defaults hold ~MBs)
            self._push.setsockopt(zmq.LINGER, 0)
            self._push.bind(self.opts["tx_address"])
            self._pull = self._ctx.socket(zmq.PULL)
            self._pull.setsockopt(zmq.RCVTIMEO, timeout_ms)
            self._pull.setsockopt(zmq.RCVHWM, 2)
            self._pull.setsockopt(zmq.RCVBUF, SOCKET_BUFFER)
            self._pull.setsockopt(zmq.LINGER, 0)
            self._pull.connect(self.opts["rx_address"])
        except zmq.ZMQError as exc:
            raise RadioError(f"zmq radio: cannot open {self.opts['tx_address']} / {self.opts['rx_address']}: {exc}") \
                from exc

    # -- transmit -----------------------------------------------------------------------
    def _tx(self, samples: np.ndarray, cyclic: bool) -> None:
        self._stop_thread()
        x = np.ascontiguousarray(samples[0])
        if cyclic:
            self._stop.clear()
            self._tx_error = None
            self._thread = threading.Thread(target=self._loop, args=(x,), daemon=True)
            self._thread.start()
        else:
            self._send(x)
        self._drain()
        settle = int(float(self.opts["settle_s"]) * self.cfg.sample_rate_sps)
        if settle > 0:
            self._read(settle)

    def _send(self, x: np.ndarray) -> None:
        chunk = int(self.opts["chunk"])
        for i in range(0, len(x), chunk):
            try:
                self._push.send(x[i:i + chunk].tobytes(), copy=True)
            except self._zmq.Again as exc:
                raise RadioError(f"zmq radio: nobody takes our samples at {self.opts['tx_address']} "
                                 f"(is the flowgraph running?)") from exc

    def _loop(self, x: np.ndarray) -> None:
        """Re-send ``x`` until stopped; while the flowgraph takes nothing (we are not reading and
        its output is full) wait in short polls, so that stopping never waits for a send timeout."""
        chunk, zmq = int(self.opts["chunk"]), self._zmq
        try:
            while not self._stop.is_set():
                for i in range(0, len(x), chunk):
                    while not self._push.poll(STOP_POLL_MS, zmq.POLLOUT):
                        if self._stop.is_set():
                            return
                    self._push.send(x[i:i + chunk].tobytes(), flags=zmq.NOBLOCK, copy=True)
        except Exception as exc:  # reported by the next call
            self._tx_error = str(exc)

    def _stop_thread(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=self.cfg.timeout_s + 1)
            self._thread = None

    @property
    def latency_samples(self) -> int:
        return int(float(self.opts["latency_s"]) * self.cfg.sample_rate_sps)

    def _drain(self) -> None:
        """Drop what is already queued on our side."""
        self._pending = np.zeros(0, np.complex64)
        while True:
            try:
                self._pull.recv(flags=self._zmq.NOBLOCK)
            except self._zmq.Again:
                break

    # -- receive ------------------------------------------------------------------------
    def _read(self, n: int) -> np.ndarray:
        parts, have = [self._pending], len(self._pending)
        while have < n:
            if self._tx_error:
                raise RadioError(f"zmq radio: transmit thread stopped: {self._tx_error}")
            try:
                msg = self._pull.recv()
            except self._zmq.Again as exc:
                raise RadioError(f"zmq radio: no samples from {self.opts['rx_address']} within "
                                 f"{self.cfg.timeout_s:g} s (is the flowgraph running?)") from exc
            if len(msg) % 8:
                raise RadioError(f"zmq radio: a message of {len(msg)} bytes is not complex64 items")
            block = np.frombuffer(msg, dtype=np.complex64)
            parts.append(block)
            have += len(block)
        data = np.concatenate(parts)
        self._pending = data[n:]
        return data[:n]

    def _rx(self, n: int) -> np.ndarray:
        return self._read(n)[None]

    def _close(self) -> None:
        if self.cfg is not None:
            self._stop_thread()
        if self._ctx is not None:
            for sock in ("_push", "_pull"):
                if hasattr(self, sock):
                    getattr(self, sock).close(0)
            self._ctx.term()
            self._ctx = None

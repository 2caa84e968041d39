"""The one radio interface every backend implements.

IQ is numpy complex64, shaped [channels, samples]; a 1-D array is one channel.
Full scale is amplitude 1.0: backends scale to their DAC/ADC ranges (Pluto:
±2^14 on TX, int16 on RX) so callers never see hardware units.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from .config import RadioConfig
from .faults import EventLog, FaultConfig, FaultInjector

log = logging.getLogger(__name__)


class RadioError(RuntimeError):
    """A radio that is missing, disconnected, timed out or overflowed; the message says which."""


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do.

    :param num_tx: transmit channels. :param num_rx: receive channels.
    :param sample_rate_range_sps: (min, max) sample rate in S/s.
    :param cyclic_tx: can repeat a TX buffer in hardware.
    """

    num_tx: int
    num_rx: int
    sample_rate_range_sps: tuple[float, float]
    cyclic_tx: bool = True


def as_channels(samples: np.ndarray, num_channels: int) -> np.ndarray:
    """Validate TX samples: [n] or [channels, n] -> complex64 [channels, n], finite, |x| <= 1."""
    x = np.asarray(samples)
    if x.ndim == 1:
        x = x[None]
    if x.ndim != 2 or x.shape[0] != num_channels:
        raise ValueError(f"tx expects [{num_channels}, samples] (or [samples] for one channel), got {x.shape}")
    if x.shape[1] == 0:
        raise ValueError("tx got an empty buffer")
    if not np.iscomplexobj(x):
        raise ValueError(f"tx expects complex samples, got {x.dtype}")
    if not np.all(np.isfinite(x)):
        raise ValueError("tx samples contain NaN or Inf")
    peak = float(np.abs(x).max())
    if peak > 1.0 + 1e-6:
        raise ValueError(f"tx samples exceed full scale (peak |x| = {peak:.3f} > 1); scale them down")
    return x.astype(np.complex64, copy=False)


class Radio(ABC):
    """configure -> tx / rx -> close, usable as a context manager.

    Subclasses implement ``_configure``, ``_tx``, ``_rx`` and ``_close`` and set
    ``capabilities``; this class validates arguments and state.
    """

    capabilities: Capabilities
    latency_samples: int = 0  # samples between a tx() and the first rx sample that can reflect it
    injects_faults: bool = True  # False for a wrapper whose inner radio applies ``cfg.faults``

    def __init__(self, cfg: RadioConfig | None = None):
        self.cfg: RadioConfig | None = None
        self._closed = False
        self.position = 0  # stream index of the next sample rx() delivers
        self.events = EventLog()  # injected faults and driver overflows/underflows
        self._faults: FaultInjector | None = None
        if cfg is not None:
            self.configure(cfg)

    def configure(self, cfg: RadioConfig) -> None:
        self._require_open()
        lo, hi = self.capabilities.sample_rate_range_sps
        if not lo <= cfg.sample_rate_sps <= hi:
            raise ValueError(f"sample_rate_sps={cfg.sample_rate_sps:g} outside this radio's {lo:g}..{hi:g} S/s")
        if cfg.num_tx > self.capabilities.num_tx or cfg.num_rx > self.capabilities.num_rx:
            raise ValueError(f"config asks for {cfg.num_tx} TX / {cfg.num_rx} RX channels; this radio has "
                             f"{self.capabilities.num_tx} / {self.capabilities.num_rx}")
        self._configure(cfg)
        self.cfg = cfg
        faults = FaultConfig.from_dict(cfg.faults, source="faults")
        self._faults = FaultInjector(faults, cfg.sample_rate_sps, cfg.num_rx) \
            if self.injects_faults and faults.active else None

    def tx(self, samples: np.ndarray, cyclic: bool = False) -> None:
        """Transmit ``samples`` ([channels, n] complex, |x| <= 1); ``cyclic`` repeats them until replaced."""
        cfg = self._require_configured()
        if cyclic and not self.capabilities.cyclic_tx:
            raise ValueError("this radio cannot repeat a TX buffer (cyclic=True)")
        self._tx(as_channels(samples, cfg.num_tx), cyclic)
        if self._faults is not None:
            self._faults.reset_input()

    def rx(self, num_samples: int | None = None) -> np.ndarray:
        """Receive ``num_samples`` (default: the configured buffer size), the next samples of one
        stream (with ``cfg.faults`` injected). :output: complex64 [channels, n]."""
        cfg = self._require_configured()
        n = cfg.rx_buffer_size if num_samples is None else int(num_samples)
        if n < 1:
            raise ValueError(f"rx needs a positive number of samples, got {n}")
        if self._faults is not None:
            out = self._faults.read(self._checked_rx, n, self.position, self.events)
        else:
            out = self._checked_rx(n)
        self.position += n
        return np.asarray(out, dtype=np.complex64)

    def faults_between(self, start: int, stop: int) -> list[str]:
        """Kinds of the stream events (injected or reported by the driver) that touched the
        delivered samples ``start:stop`` (stream indices, see ``position``)."""
        return self.events.kinds_between(start, stop)

    def stream_event(self, kind: str, offset: int = 0) -> None:
        """A driver reports ``kind`` (``overflow``, ``underflow``) ``offset`` samples into the
        read in progress: logged and counted, not raised."""
        self.events.add(kind, self.position + offset)
        if self.events.counts[kind] in (1, 10, 100, 1000):
            log.warning("%s: %s (%d so far)", type(self).__name__, kind, self.events.counts[kind])

    def _checked_rx(self, n: int) -> np.ndarray:
        out = np.asarray(self._rx(n), dtype=np.complex64)
        if out.shape != (self.cfg.num_rx, n):
            raise RadioError(f"backend returned {out.shape}, expected {(self.cfg.num_rx, n)}")
        return out

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _require_open(self) -> None:
        if self._closed:
            raise RadioError(f"{type(self).__name__} is closed")

    def _require_configured(self) -> RadioConfig:
        self._require_open()
        if self.cfg is None:
            raise RadioError(f"{type(self).__name__} is not configured: call configure(cfg) first")
        return self.cfg

    @abstractmethod
    def _configure(self, cfg: RadioConfig) -> None: ...

    @abstractmethod
    def _tx(self, samples: np.ndarray, cyclic: bool) -> None: ...

    @abstractmethod
    def _rx(self, num_samples: int) -> np.ndarray: ...

    def _close(self) -> None:
        """Release the device (default: nothing to release)."""

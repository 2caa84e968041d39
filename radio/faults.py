"""Faults of real SDRs, injected into a radio's receive stream, and a log of stream events.

A ``faults:`` mapping in a radio's YAML (:class:`FaultConfig`, off by default) makes
:class:`radio.Radio` pass every ``rx`` read through a :class:`FaultInjector`:

- ``drop``: an overflow loses ``drop_samples`` samples (the stream jumps ahead);
- ``gap``: an underflow puts ``gap_samples`` zeros into the stream (the signal resumes late);
- ``gain_step``: the gain toggles by ``gain_step_db`` (an AGC step) and stays;
- ``impulsive`` / ``narrowband``: an interference burst of ``burst_samples`` samples, noise or a
  tone at a random frequency, ``burst_db`` above the read's mean power;
- ``iq_change``: the IQ imbalance jumps to new random values (up to ``iq_gain_db``, ``iq_phase_deg``);
- ``disconnect_after_s``: after that many seconds of received samples, ``rx`` raises
  :class:`radio.RadioError` ("disconnected");

each with a probability per ``rx`` read (at most one of a kind per read, at a uniform position
in it). Two continuous impairments touch every sample and are not events: a sampling-clock
offset ``sco_ppm`` (the receiver's clock runs ``1 + sco_ppm * 1e-6`` times slow: the stream is
resampled, so timing drifts within a frame) and a carrier drift (``cfo_drift_hz_per_s``, a
triangle wave within ``±cfo_drift_max_hz``).

Every event is logged (:class:`EventLog`) with the stream indices of the delivered samples it
touched, so an application can tell which frames a fault hit; driver-reported overflows and
underflows go to the same log.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass

import numpy as np

from phy.configio import MappingConfig
from phy.resample import StreamResampler


KEEP_SAMPLES = 1 << 23  # events older than this many samples are forgotten (counts stay)


@dataclass(frozen=True)
class FaultConfig(MappingConfig):
    """What to inject (all off by default); probabilities are per ``rx`` read.

    :param seed: random seed (None: a fresh one).
    :param sco_ppm: sampling-clock offset in parts per million, |x| <= 200.
    :param cfo_drift_hz_per_s: carrier drift rate in Hz/s. :param cfo_drift_max_hz: its amplitude in Hz.
    :param drop_probability / drop_samples: overflows and the samples each loses.
    :param gap_probability / gap_samples: underflows and the zeros each inserts.
    :param gain_step_probability / gain_step_db: AGC steps and their size in dB.
    :param burst_probability / burst_samples / burst_db: interference bursts, half impulsive
        (Gaussian noise), half narrowband (a tone), their length and power over the read's mean (dB).
    :param iq_change_probability / iq_gain_db / iq_phase_deg: IQ-imbalance jumps and their largest values.
    :param disconnect_after_s: seconds of received samples after which the radio is gone (None: never).
    """

    seed: int | None = None
    sco_ppm: float = 0.0
    cfo_drift_hz_per_s: float = 0.0
    cfo_drift_max_hz: float = 0.0
    drop_probability: float = 0.0
    drop_samples: int = 256
    gap_probability: float = 0.0
    gap_samples: int = 256
    gain_step_probability: float = 0.0
    gain_step_db: float = 6.0
    burst_probability: float = 0.0
    burst_samples: int = 256
    burst_db: float = 10.0
    iq_change_probability: float = 0.0
    iq_gain_db: float = 1.0
    iq_phase_deg: float = 5.0
    disconnect_after_s: float | None = None

    def __post_init__(self):
        for name in ("sco_ppm", "cfo_drift_hz_per_s", "cfo_drift_max_hz", "gain_step_db", "burst_db", "iq_gain_db",
                     "iq_phase_deg", "drop_probability", "gap_probability", "gain_step_probability",
                     "burst_probability", "iq_change_probability"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"faults.{name}={value!r} is not a number")
            if name.endswith("probability") and not 0 <= value <= 1:
                raise ValueError(f"faults.{name}={value} outside 0..1")
        for name in ("drop_samples", "gap_samples", "burst_samples"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"faults.{name}={value!r} must be a positive whole number of samples")
        if abs(self.sco_ppm) > 200:
            raise ValueError(f"faults.sco_ppm={self.sco_ppm} beyond ±200 ppm")
        if self.cfo_drift_max_hz < 0 or (self.cfo_drift_hz_per_s and not self.cfo_drift_max_hz):
            raise ValueError("faults.cfo_drift_max_hz must be > 0 when cfo_drift_hz_per_s is set")
        if self.disconnect_after_s is not None and not float(self.disconnect_after_s) > 0:
            raise ValueError(f"faults.disconnect_after_s={self.disconnect_after_s!r} must be > 0 seconds")

    @property
    def active(self) -> bool:
        return self != FaultConfig(seed=self.seed)


@dataclass(frozen=True)
class StreamEvent:
    """Something that happened to the receive stream: ``kind`` over delivered samples ``start:stop``."""

    kind: str
    start: int
    stop: int


class EventLog:
    """Stream events (injected faults, driver overflows/underflows), counted by kind; the recent
    ones (the last :data:`KEEP_SAMPLES` samples) are kept to ask which kinds touched a span."""

    def __init__(self):
        self.counts: Counter = Counter()
        self._recent: deque[StreamEvent] = deque()

    def add(self, kind: str, start: int, stop: int | None = None) -> None:
        self.counts[kind] += 1
        self._recent.append(StreamEvent(kind, int(start), int(start) + 1 if stop is None else int(stop)))
        while self._recent and self._recent[0].stop < self._recent[-1].start - KEEP_SAMPLES:
            self._recent.popleft()

    def kinds_between(self, start: int, stop: int) -> list[str]:
        """Kinds of the events that touched delivered samples ``start:stop``, sorted, each once."""
        return sorted({e.kind for e in self._recent if e.start < stop and e.stop > start})


class FaultInjector:
    """Applies a :class:`FaultConfig` to consecutive reads of one stream, logging what it did.

    :param cfg: the faults. :param sample_rate_sps: the stream's rate. :param channels: RX channels.
    """

    def __init__(self, cfg: FaultConfig, sample_rate_sps: float, channels: int):
        self.cfg, self.fs, self.channels = cfg, float(sample_rate_sps), int(channels)
        self.rng = np.random.default_rng(cfg.seed)
        self._resampler = StreamResampler(1.0 + cfg.sco_ppm * 1e-6, channels) if cfg.sco_ppm else None
        self._gain_db = 0.0
        self._iq = (0.0, 0.0)  # (gain dB, phase deg)
        self._cfo_phase = 0.0

    def reset_input(self) -> None:
        """Forget buffered input (the source jumped, e.g. a new TX buffer); clocks keep running."""
        if self._resampler is not None:
            self._resampler.reset()

    def read(self, source, n: int, start: int, events: EventLog) -> np.ndarray:
        """``n`` samples [channels, n] from ``source(m) -> [channels, m]``, with the faults, whose
        events are logged at stream indices from ``start`` (the first delivered sample's)."""
        from .base import RadioError

        c = self.cfg
        if c.disconnect_after_s is not None and (start + n) / self.fs > float(c.disconnect_after_s):
            raise RadioError(f"disconnected after {float(c.disconnect_after_s):g} s of samples (injected fault)")
        drop = self._at(c.drop_probability, n)
        gap = self._at(c.gap_probability, n)
        gap_len = 0 if gap is None else min(c.gap_samples, n - gap)
        want = n - gap_len + (0 if drop is None else c.drop_samples)
        x = np.asarray(self._resampler.pull(source, want) if self._resampler else source(want), np.complex128)
        if drop is not None:
            x = np.concatenate([x[:, :drop], x[:, drop + c.drop_samples:]], -1)
            events.add("drop", start + drop)
        if gap is not None:
            x = np.concatenate([x[:, :gap], np.zeros((self.channels, gap_len)), x[:, gap:]], -1)
            events.add("gap", start + gap, start + gap + gap_len)
        x = self._cfo_drift(x, start)
        x = self._gain_steps(x, start, events)
        x = self._iq_changes(x, start, events)
        return self._bursts(x, start, events)

    def _at(self, probability: float, n: int) -> int | None:
        """Where in a read of ``n`` samples an event of this probability happens, or None."""
        return int(self.rng.integers(n)) if probability and self.rng.random() < probability else None

    def _cfo_drift(self, x: np.ndarray, start: int) -> np.ndarray:
        c = self.cfg
        if not c.cfo_drift_hz_per_s:
            return x
        t = (start + np.arange(x.shape[-1])) / self.fs
        period = 4 * c.cfo_drift_max_hz / abs(c.cfo_drift_hz_per_s)
        f = c.cfo_drift_max_hz * (2 / np.pi) * np.arcsin(np.sin(2 * np.pi * t / period))  # triangle, Hz
        phase = self._cfo_phase + 2 * np.pi * np.cumsum(f) / self.fs
        self._cfo_phase = float(phase[-1] % (2 * np.pi))
        return x * np.exp(1j * phase)

    def _gain_steps(self, x: np.ndarray, start: int, events: EventLog) -> np.ndarray:
        at = self._at(self.cfg.gain_step_probability, x.shape[-1])
        gain = np.full(x.shape[-1], self._gain_db)
        if at is not None:
            self._gain_db = self.cfg.gain_step_db if self._gain_db == 0 else 0.0
            gain[at:] = self._gain_db
            events.add("gain_step", start + at)
        return x * 10 ** (gain / 20) if self._gain_db or at is not None else x

    def _iq_changes(self, x: np.ndarray, start: int, events: EventLog) -> np.ndarray:
        at = self._at(self.cfg.iq_change_probability, x.shape[-1])
        old = self._iq
        if at is not None:
            self._iq = (float(self.rng.uniform(-1, 1) * self.cfg.iq_gain_db),
                        float(self.rng.uniform(-1, 1) * self.cfg.iq_phase_deg))
            events.add("iq_change", start + at)
            return np.concatenate([_iq_imbalance(x[:, :at], *old), _iq_imbalance(x[:, at:], *self._iq)], -1)
        return _iq_imbalance(x, *old)

    def _bursts(self, x: np.ndarray, start: int, events: EventLog) -> np.ndarray:
        c = self.cfg
        at = self._at(c.burst_probability, x.shape[-1])
        if at is None:
            return x
        length = min(c.burst_samples, x.shape[-1] - at)
        power = float(np.mean(np.abs(x) ** 2)) * 10 ** (c.burst_db / 10)
        shape = (self.channels, length)
        if self.rng.random() < 0.5:
            kind = "impulsive"
            burst = np.sqrt(power / 2) * (self.rng.standard_normal(shape) + 1j * self.rng.standard_normal(shape))
        else:
            kind = "narrowband"
            f = self.rng.uniform(-0.4, 0.4)  # cycles per sample
            burst = np.sqrt(power) * np.exp(1j * (2 * np.pi * f * np.arange(length) + self.rng.uniform(0, 2 * np.pi)))
            burst = np.broadcast_to(burst, shape)
        x = x.copy()
        x[:, at:at + length] += burst
        events.add(kind, start + at, start + at + length)
        return x


def _iq_imbalance(y: np.ndarray, gain_db: float, phase_deg: float) -> np.ndarray:
    if not gain_db and not phase_deg:
        return y
    g, phi = 10 ** (gain_db / 20), np.deg2rad(phase_deg)
    return y.real + 1j * g * (y.imag * np.cos(phi) + y.real * np.sin(phi))

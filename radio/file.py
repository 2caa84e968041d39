"""``file``: SigMF recordings (the ``sigmf`` package) for record and playback.

- :class:`SigMFRecorder` wraps any radio and appends every ``rx`` capture to a
  SigMF recording (``cf32_le``, one capture segment per read, annotations for
  what the caller says it found), written when it closes.
- :class:`FileRadio` plays a recording back: ``rx`` returns its samples in
  order, ``tx`` is accepted and ignored (a recording cannot be changed). The
  same receiver code then runs on recorded IQ as on a live radio.

Capture segments: each read of a live radio is one segment, and between two reads the radio's
stream went on (or restarted) unrecorded, so a segment's end is a discontinuity: a frame must not
be joined across it. :attr:`FileRadio.segment_left` says how far the next one is (a reader such as
:class:`semcom.exchange.Replay` reads up to it and restarts its frame search there). A boundary is
not a discontinuity when both segments carry ``core:global_index`` and it advances by exactly the
first segment's length (SigMF's mark of a contiguous stream).

Options of the ``file`` driver: ``path`` (the ``.sigmf-meta`` file, required),
``loop`` (False: restart at the end instead of raising).

Recordings from other tools: complex SigMF data types are converted on load to
complex64 at the project's full scale (amplitude 1.0): ``cf32``/``cf64`` as they
are, signed integers ``ciN`` divided by 2^(N-1) (``ci16_le``: /32768, ``ci8``:
/128), unsigned ``cuN`` mapped to (v - (2^N - 1)/2) / ((2^N - 1)/2) (``cu8``
from an RTL-SDR: (v - 127.5) / 127.5); big- and little-endian alike. Real
(``r…``) data is refused with a line naming the converter to use.
"""

from __future__ import annotations

import bisect
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .base import Capabilities, Radio, RadioError
from .config import RadioConfig

META = ".sigmf-meta"
DATA = ".sigmf-data"


def _sigmf():
    try:
        import sigmf
        from sigmf import SigMFFile, sigmffile
    except ImportError as exc:
        raise RadioError("SigMF recordings need the sigmf package: pip install 'semcom-sdr[sigmf]'") from exc
    return sigmf, SigMFFile, sigmffile


def sigmf_dtype(datatype: str) -> tuple[np.dtype, float, float]:
    """A complex SigMF ``core:datatype`` -> (numpy dtype of one component, offset, scale) such that
    ``(component - offset) / scale`` is at full scale 1.0. Raises ValueError for other types."""
    import re

    m = re.fullmatch(r"c([fiu])(8|16|32|64)(_le|_be)?", str(datatype))
    if not m:
        raise ValueError(f"SigMF datatype {datatype!r} is not complex IQ: convert it to cf32_le first "
                         "(e.g. with sigmf's tools or numpy: interleave I and Q as float32)")
    kind, bits, order = m.group(1), int(m.group(2)), "<" if m.group(3) != "_be" else ">"
    if kind == "f" and bits in (32, 64):
        return np.dtype(f"{order}f{bits // 8}"), 0.0, 1.0
    if kind == "i" and bits in (8, 16, 32):
        return np.dtype(f"{order}i{bits // 8}"), 0.0, float(2 ** (bits - 1))
    if kind == "u" and bits in (8, 16, 32):
        half = (2 ** bits - 1) / 2
        return np.dtype(f"{order}u{bits // 8}"), half, half
    raise ValueError(f"SigMF datatype {datatype!r} is not supported: convert it to cf32_le first")


def _read_iq(path: Path, datatype: str) -> np.ndarray:
    """[n] complex64 at full scale 1.0 from a SigMF data file of ``datatype``."""
    dtype, offset, scale = sigmf_dtype(datatype)
    raw = np.fromfile(path, dtype=dtype)
    if len(raw) % 2:
        raise ValueError(f"{path}: odd number of {datatype} components (I and Q must pair up)")
    iq = (raw.astype(np.float64) - offset) / scale
    return (iq[0::2] + 1j * iq[1::2]).astype(np.complex64)


def _paths(path: str | Path) -> tuple[Path, Path]:
    p = Path(path)
    base = p.with_suffix("") if p.suffix in (META, DATA) else p
    return base.with_suffix(META), base.with_suffix(DATA)


class SigMFRecorder(Radio):
    """Any radio, with its RX captures saved to ``path`` (``.sigmf-meta`` + ``.sigmf-data``)."""

    injects_faults = False  # the inner radio does, and logs its events

    def __init__(self, inner: Radio, path: str | Path, description: str = "semcom-sdr capture"):
        self.inner = inner
        self.capabilities = inner.capabilities
        self.meta_path, self.data_path = _paths(path)
        self.data_path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.data_path, "wb")
        self._samples = 0
        self._captures: list[tuple[int, str]] = []  # (first sample, UTC time of the read)
        self._annotations: list[tuple[int, int, dict]] = []
        self.description = description
        super().__init__(inner.cfg)
        self.events = inner.events

    def _configure(self, cfg: RadioConfig) -> None:
        if self.inner.cfg is not cfg:
            self.inner.configure(cfg)

    def _tx(self, samples, cyclic):
        self.inner.tx(samples, cyclic)

    def _rx(self, n):
        when = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        y = self.inner.rx(n)
        self._captures.append((self._samples, when))
        self._fh.write(np.ascontiguousarray(y.T).astype("<c8").tobytes())  # channels interleaved
        self._samples += n
        return y

    def annotate(self, offset_in_last_capture: int, length: int, label: str, comment: str = "") -> None:
        """Mark samples of the most recent capture (e.g. a detected frame)."""
        if not self._captures:
            raise RadioError("nothing captured yet to annotate")
        start = self._captures[-1][0] + max(0, int(offset_in_last_capture))
        self._annotations.append((start, max(1, int(length)), {"core:label": label, "core:comment": comment}))

    def _close(self) -> None:
        sigmf, SigMFFile, _ = _sigmf()
        self._fh.close()
        cfg = self.cfg
        meta = SigMFFile(data_file=str(self.data_path), global_info={
            sigmf.DATATYPE_KEY: "cf32_le", sigmf.SAMPLE_RATE_KEY: float(cfg.sample_rate_sps),
            sigmf.NUM_CHANNELS_KEY: cfg.num_rx, sigmf.DESCRIPTION_KEY: self.description,
            sigmf.AUTHOR_KEY: "semcom-sdr", sigmf.RECORDER_KEY: f"semcom-sdr {cfg.driver}", sigmf.HW_KEY: cfg.driver})
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        for start, when in self._captures or [(0, now)]:  # one segment per read, stamped when it began
            meta.add_capture(start, metadata={sigmf.FREQUENCY_KEY: float(cfg.center_frequency_hz),
                                              sigmf.DATETIME_KEY: when})
        for start, length, md in self._annotations:
            meta.add_annotation(start, length, metadata=md)
        meta.tofile(str(self.meta_path), overwrite=True)
        self.inner.close()


class FileRadio(Radio):
    """Plays a SigMF recording back through the :class:`Radio` interface."""

    capabilities = Capabilities(num_tx=8, num_rx=8, sample_rate_range_sps=(1.0, 1e10))

    def _configure(self, cfg: RadioConfig) -> None:
        path = cfg.options.get("path")
        if not path:
            raise ValueError("file radio: options.path (a .sigmf-meta recording) is required")
        unknown = sorted(set(cfg.options) - {"path", "loop"})
        if unknown:
            raise ValueError(f"file radio: unknown option(s) {unknown}; known: loop, path")
        meta_path, data_path = _paths(path)
        if not meta_path.is_file() or not data_path.is_file():
            raise RadioError(f"recording not found: {meta_path} (+ {data_path.name})")
        sigmf, _, sigmffile = _sigmf()
        try:
            rec = sigmffile.fromfile(str(meta_path))
            rate = float(rec.get_global_field(sigmf.SAMPLE_RATE_KEY))
            channels = int(rec.get_global_field(sigmf.NUM_CHANNELS_KEY) or 1)
            datatype = rec.get_global_field(sigmf.DATATYPE_KEY)
        except Exception as exc:  # the sigmf package raises several types on bad files
            raise RadioError(f"unreadable recording {meta_path}: {exc}") from exc
        try:
            data = _read_iq(data_path, datatype)
        except ValueError as exc:
            raise RadioError(f"{meta_path}: {exc}") from exc
        if abs(rate - cfg.sample_rate_sps) > 1e-6 * rate:
            raise ValueError(f"recording is at {rate:g} S/s but the config says {cfg.sample_rate_sps:g} S/s")
        if channels != cfg.num_rx or len(data) % channels:
            raise ValueError(f"recording has {channels} channel(s); the config receives on {cfg.num_rx}")
        self._data = data.reshape(-1, channels).T  # [channels, n]
        self._pos = 0
        self._loop = bool(cfg.options.get("loop", False))
        self.annotations = rec.get_annotations()
        try:
            self.discontinuities = _discontinuities(rec.get_captures(), self._data.shape[1])
        except (TypeError, ValueError) as exc:
            raise RadioError(f"{meta_path}: unreadable capture segments: {exc}") from exc

    @property
    def samples_left(self) -> int | None:
        """Samples per channel not yet read; None when the recording loops (it never ends)."""
        return None if self._loop else self._data.shape[1] - self._pos

    @property
    def segment_left(self) -> int:
        """Samples per channel from the read position to the next discontinuity (the end of the
        capture segment being read) or, past the last one, to the end of the recording."""
        i = bisect.bisect_right(self.discontinuities, self._pos)
        return (self.discontinuities[i] if i < len(self.discontinuities) else self._data.shape[1]) - self._pos

    def _tx(self, samples, cyclic):
        """A recording is fixed: what is sent is not what will be received."""

    def _rx(self, n):
        total = self._data.shape[1]
        if self._pos + n > total:
            if not self._loop:
                raise RadioError(f"recording exhausted: {total - self._pos} of {n} samples left")
            self._pos = 0
            if n > total:
                raise RadioError(f"recording holds {total} samples, fewer than the {n} asked for")
        out = self._data[:, self._pos:self._pos + n]
        self._pos += n
        return out


def _discontinuities(captures: list[dict], total: int) -> list[int]:
    """Sample indices (0 < i < total, ascending) where a capture segment begins whose samples do not
    continue the previous segment's: every segment start, unless ``core:global_index`` shows both
    segments to be one contiguous stream."""
    starts = sorted((int(c.get("core:sample_start", 0)), c.get("core:global_index")) for c in captures)
    out = []
    for (start0, index0), (start, index) in zip(starts, starts[1:]):
        contiguous = index0 is not None and index is not None and int(index) - int(index0) == start - start0
        if not contiguous and 0 < start < total:
            out.append(start)
    return out

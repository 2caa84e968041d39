"""Frame synchronisation: preamble, detection, timing, CFO and SNR estimation.

The preamble follows 802.11's layout on the project's OFDM numerology:

- a short training field (STF): 16 repetitions of a 16-sample period (tones on
  every (N/16)-th used subcarrier). Its lag-16 autocorrelation detects the
  frame (Schmidl & Cox's metric) and gives the coarse CFO over +-fs/32
  (+-60 kHz at 1.92 MS/s: 25 ppm at 2.4 GHz);
- a long training field (LTF): an N/4 guard then two copies of a known
  N-sample OFDM symbol on all used subcarriers. Cross-correlation with it
  gives the timing to the sample, the phase difference of its two copies the
  fine CFO, and their difference the noise, hence the SNR per subcarrier.

Every function accepts arbitrary input (empty, all zeros, NaN, any level from
1e-30 to 1e30, DC offsets, exact-zero stretches): it returns ``None`` ("no
frame") rather than raising or hanging. The capture's level does not matter:
detection is scale-free (the metric is a normalised correlation, bounded to
0..1), a DC offset is removed before detection (a centred moving mean over
``DC_WINDOW`` samples), and :class:`Detection` reports the received power per
resource element so that a receiver can normalise the frame (an AGC stage).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, replace

import numpy as np
import torch

from .ofdm import OFDMConfig

STF_PERIOD = 16
STF_REPEATS = 16
METRIC_WINDOW = 8 * STF_PERIOD  # samples summed in P(d) and R(d)
PLATEAU_RUN = 3 * STF_PERIOD  # the metric must stay above threshold this long
DC_WINDOW = 1024  # samples in the moving mean removed as DC (a multiple of the FFT size: nulls on the subcarriers)
ENERGY_FLOOR = 1e-9  # windows below this fraction of the capture's mean energy hold no frame (zero stretches)
LTF_THRESHOLD = 0.4  # normalised LTF correlation (0..1) each of its two copies must reach to confirm a frame
REFINE_BATCH = 64  # plateau starts refined together (bounds the memory a plateau-rich capture takes)


@dataclass(frozen=True)
class Detection:
    """A frame found in a capture.

    :param start: index of the first sample after the preamble (the frame body).
    :param preamble_start: index where the STF begins.
    :param cfo_hz: estimated carrier frequency offset in Hz.
    :param snr_db: estimated SNR per used subcarrier in dB (from the LTF).
    :param metric: the detection metric at the STF plateau (0..1).
    :param noise_var: noise variance per resource element (orthonormal DFT), in the capture's units.
    :param signal_power: received signal power per used resource element (the LTF sends 1), in the
        capture's units: divide the frame's samples by its square root to bring it to the
        transmitted level (``noise_var / signal_power`` is then ``10**(-snr_db/10)``).
    """

    start: int
    preamble_start: int
    cfo_hz: float
    snr_db: float
    metric: float
    noise_var: float = 0.0
    signal_power: float = 1.0


class Preamble:
    """STF + LTF for an :class:`OFDMConfig`, at the mean power of OFDM data with
    unit-power resource elements (U/N per sample for U used of N subcarriers).

    :param cfg: numerology (FFT size, used subcarriers).
    :param seed: fixes the pseudo-random training values.
    """

    def __init__(self, cfg: OFDMConfig, seed: int = 7):
        n = cfg.fft_size
        if n % STF_PERIOD:
            raise ValueError(f"fft_size {n} must be a multiple of {STF_PERIOD} for the STF")
        self.cfg = cfg
        rng = np.random.default_rng(seed)
        used = cfg.used_subcarriers
        dc = n // 2
        stf_bins = [k for k in used if (k - dc) % (n // STF_PERIOD) == 0]
        if len(stf_bins) < 2:
            raise ValueError("too few used subcarriers for a short training field")
        qpsk = lambda m: (rng.choice([-1.0, 1.0], m) + 1j * rng.choice([-1.0, 1.0], m)) / math.sqrt(2)  # noqa: E731
        stf_freq = np.zeros(n, complex)
        stf_freq[stf_bins] = qpsk(len(stf_bins))
        ltf_freq = np.zeros(n, complex)
        ltf_freq[used] = rng.choice([-1.0, 1.0], len(used))
        stf_period = _ifft_centred(stf_freq)[:STF_PERIOD]
        ltf_symbol = _ifft_centred(ltf_freq)
        # the same mean power as OFDM data with unit-power REs (U/N per sample): the LTF then puts
        # unit power on every used subcarrier and its SNR estimate is the data's SNR per RE
        power = len(used) / n
        stf = np.tile(stf_period * np.sqrt(power / np.mean(np.abs(stf_period) ** 2)), STF_REPEATS)
        ltf_symbol = ltf_symbol * np.sqrt(power / np.mean(np.abs(ltf_symbol) ** 2))
        guard = n // 4
        ltf = np.concatenate([ltf_symbol[-guard:], ltf_symbol, ltf_symbol])
        self.ltf_freq = torch.as_tensor(ltf_freq, dtype=torch.complex64)
        self.ltf_symbol = torch.as_tensor(ltf_symbol, dtype=torch.complex64)
        self.samples = torch.as_tensor(np.concatenate([stf, ltf]), dtype=torch.complex64)
        self.stf_length = len(stf)
        self.ltf_offset = len(stf) + guard  # first LTF copy, from the preamble start
        self.length = len(self.samples)


def _ifft_centred(freq: np.ndarray) -> np.ndarray:
    return np.fft.ifft(np.fft.ifftshift(freq)) * np.sqrt(len(freq))


def _clean(y) -> tuple[torch.Tensor, float] | tuple[None, float]:
    """[n] or [rx, n] complex -> (complex64 [rx, n] without DC, scaled to peak 1; the scale), or
    (None, 0) when unusable. NaN/Inf samples are set to 0. A complex128 capture is scaled in its
    own precision (its level may exceed complex64's range), anything else in complex64."""
    y = torch.as_tensor(np.asarray(y)) if not isinstance(y, torch.Tensor) else y
    if y.dim() == 1:
        y = y[None]
    if y.dim() != 2 or y.shape[-1] == 0 or not y.is_complex():
        return None, 0.0
    if y.dtype != torch.complex128:
        y = y.to(torch.complex64)
    finite = torch.isfinite(torch.view_as_real(y)).all(-1)
    if not finite.all():
        y = torch.where(finite, y, torch.zeros_like(y))  # blank NaN/Inf samples
    peak = torch.view_as_real(y).abs().amax()  # the largest I or Q magnitude: |y| <= sqrt(2) peak
    if not torch.isfinite(peak) or peak == 0:
        return None, 0.0
    y = remove_dc((y / peak).to(torch.complex64))
    peak2 = _power(y).amax().sqrt()
    if peak2 == 0:  # a pure DC capture
        return None, 0.0
    return y / peak2, float(peak) * float(peak2)


def _power(y: torch.Tensor) -> torch.Tensor:
    """|y|^2 of complex ``y`` (real and imaginary parts squared: no square root)."""
    return torch.view_as_real(y).square().sum(-1)


def remove_dc(y: torch.Tensor, window: int = DC_WINDOW) -> torch.Tensor:
    """Subtract the centred moving mean over ``window`` samples (fewer at the ends): a DC notch
    that tracks a slowly drifting offset. Exact-zero stretches far from a signal stay exactly zero.

    :input y: [rx, n] complex. :output: [rx, n], same dtype.
    """
    n = y.shape[-1]
    if n < 2:
        return y - y.mean(-1, keepdim=True)
    half = min(window, n) // 2
    c = torch.cumsum(torch.nn.functional.pad(y.to(torch.complex128), (1, 0)), dim=-1)  # [rx, n + 1]
    # the window of sample k is [max(k - half, 0), min(k + half, n - 1)]: running sums at its two ends
    upper = torch.cat([c[:, half + 1:], c[:, -1:].expand(-1, half)], dim=-1)  # [rx, n]
    lower = torch.cat([c[:, :1].expand(-1, half), c[:, :n - half]], dim=-1)
    k = torch.arange(n)
    count = (k + half).clamp_max(n - 1) + 1 - (k - half).clamp_min(0)
    total = upper - lower  # [rx, n]: the window's sum
    out = y - (total / count).to(y.dtype)
    zero = y == 0
    if zero.any():  # exact zeros with nothing else in the window: leave them
        out = torch.where(zero & (total == 0), torch.zeros_like(y), out)
    return out


def _sliding_sum(x: torch.Tensor, window: int) -> torch.Tensor:
    """Sums over windows of ``window`` samples along the last axis: [..., n - window + 1]
    (float64 / complex128 running sums, so a long capture leaves no residue in quiet stretches)."""
    x = x.to(torch.complex128 if x.is_complex() else torch.float64)
    c = torch.cumsum(torch.nn.functional.pad(x, (1, 0)), dim=-1)
    return c[..., window:] - c[..., :-window]


def stf_metric(y: torch.Tensor, window: int = METRIC_WINDOW) -> tuple[torch.Tensor, torch.Tensor]:
    """Schmidl-Cox metric with lag 16, summed over receive antennas, in its bounded form
    M(d) = |P(d)|^2 / (R1(d) R2(d)), where R1 and R2 are the energies of the two lagged windows
    (Cauchy-Schwarz: 0 <= M <= 1 on any input). Windows with less than ``ENERGY_FLOOR`` of the
    capture's mean window energy (exact-zero stretches, rounding residue) give 0.

    :input y: [rx, n], complex. :output: (M [n - window - 16 + 1] float32 in 0..1, P [same] complex).
    """
    lag = STF_PERIOD
    prod = y[:, :-lag] * y[:, lag:].conj()  # [rx, n - lag]
    p = _sliding_sum(prod, window).sum(0)  # [n - lag - window + 1]
    power = _power(y).sum(0)  # [n]
    energy = _sliding_sum(power, window).clamp_min(0)  # [n - window + 1]: R1 = energy[:-lag], R2 = energy[lag:]
    r1, r2 = energy[:len(p)], energy[lag:]
    floor = ENERGY_FLOOR * window * float(power.double().mean())
    quiet = (r1 <= floor) | (r2 <= floor)
    m = _power(p) / torch.where(quiet, torch.ones_like(r1), r1 * r2)
    m = torch.where(quiet, torch.zeros_like(m), m).clamp(0.0, 1.0)
    return m.float(), p.to(torch.complex64)


class FrameSearch:
    """Every frame of one capture, one after another.

    The capture's DC is removed and its Schmidl-Cox metric computed once;
    :meth:`find` then returns the first frame at or after a position, so a
    receiver walks through a buffer of many frames in one pass. A false alarm
    (an STF-like plateau without the LTF after it) skips the rest of its STF,
    so the work grows linearly with the capture's length, whatever its content,
    and the search always runs to the end of the capture.

    :input y: [n] or [rx, n] complex samples (anything: empty, NaN, any level, DC).
    :param threshold: metric level (0..1) the STF plateau must hold.
    """

    def __init__(self, y, preamble: Preamble, sample_rate_sps: float, threshold: float = 0.2):
        self.preamble, self.fs = preamble, sample_rate_sps
        self._y, self._scale = _clean(y)
        self._candidates: list[int] = []
        self._refined: dict[int, Detection | None] = {}  # plateau start -> its frame, or None
        self._batch = 1  # plateau starts the next refinement takes on
        if self._y is None or self._y.shape[-1] < preamble.length + STF_PERIOD:
            return
        self._m, self._p = stf_metric(self._y)
        if len(self._m) < PLATEAU_RUN:
            return
        ok = _sliding_sum((self._m > threshold).float(), PLATEAU_RUN).real >= PLATEAU_RUN - 0.5
        self._candidates = torch.nonzero(ok).flatten().tolist()

    @property
    def samples(self) -> torch.Tensor | None:
        """The capture as complex64 [rx, n] in its own units, DC removed and NaN/Inf samples set to 0
        (None if unusable)."""
        return None if self._y is None else self._y * self._scale

    @property
    def length(self) -> int:
        """Samples in the capture (0 if unusable)."""
        return 0 if self._y is None else self._y.shape[-1]

    def find(self, search_from: int = 0) -> Detection | None:
        """The first frame whose STF starts at or after ``search_from``, or None (none to the end)."""
        if search_from < 0:
            return None
        i = bisect.bisect_left(self._candidates, search_from)
        while i < len(self._candidates):
            c = self._candidates[i]
            if c not in self._refined:
                self._refine_from(c)
            if self._refined[c] is not None:
                return self._refined[c]
            i = bisect.bisect_left(self._candidates, c + self.preamble.stf_length, lo=i + 1)  # past this plateau
        return None

    def found_after(self, start: int) -> list[Detection]:
        """The frames already refined (see :meth:`find`) that begin after ``start`` (a
        :attr:`Detection.start`), in order: candidates for the next :meth:`find` calls."""
        return sorted((d for d in self._refined.values() if d is not None and d.start > start), key=lambda d: d.start)

    def _refine_from(self, first: int) -> None:
        """Refine, in batches of one segment length, the plateau starts a search from ``first`` would
        try when every one were a false alarm (one per STF length: in a stream, one per frame): ``first``
        alone the first time (a caller that wants one frame pays for one), then up to ``REFINE_BATCH``;
        a search that jumps elsewhere refines its start on demand."""
        heads, i = [], bisect.bisect_left(self._candidates, first)
        limit, self._batch = self._batch, REFINE_BATCH
        while i < len(self._candidates) and len(heads) < limit:
            c = self._candidates[i]
            if c not in self._refined:
                heads.append(c)
            i = bisect.bisect_left(self._candidates, c + self.preamble.stf_length, lo=i + 1)
        mid = torch.as_tensor(heads) + PLATEAU_RUN // 2  # estimate the coarse CFO inside the plateau
        power = self._scale ** 2
        for c, det in zip(heads, _refine(self._y, self.preamble, self.fs, heads, self._p[mid], self._m[mid])):
            self._refined[c] = None if det is None else \
                replace(det, noise_var=det.noise_var * power, signal_power=det.signal_power * power)


def synchronize(y, preamble: Preamble, sample_rate_sps: float, threshold: float = 0.2,
                search_from: int = 0) -> Detection | None:
    """Find the first frame at or after ``search_from`` in a capture.

    :input y: [n] or [rx, n] complex samples.
    :output: a :class:`Detection`, or None when no frame is found.
    """
    return FrameSearch(y, preamble, sample_rate_sps, threshold).find(search_from)


def _refine(y: torch.Tensor, pre: Preamble, fs: float, coarse: list[int], p: torch.Tensor,
            metric: torch.Tensor) -> list[Detection | None]:
    """The frames at plateau starts ``coarse`` [B] (metric ``metric`` [B], lag product ``p`` [B] inside
    the plateau), None where no LTF follows: every segment of one length is worked on as one batch."""
    n_fft = pre.cfg.fft_size
    # the plateau starts between METRIC_WINDOW before and (STF length - window - lag) after the STF start
    lo = [c + pre.ltf_offset - (pre.stf_length - METRIC_WINDOW - STF_PERIOD) - STF_PERIOD for c in coarse]
    span = pre.stf_length + STF_PERIOD  # hi - lo, where hi = c + ltf_offset + METRIC_WINDOW + STF_PERIOD
    seg_end = [min(y.shape[-1], a + span + 2 * n_fft) for a in lo]
    out: list[Detection | None] = [None] * len(coarse)
    groups: dict[int, list[int]] = {}
    for j, (a, b) in enumerate(zip(lo, seg_end)):
        if a >= 0 and b - a >= 2 * n_fft + STF_PERIOD:
            groups.setdefault(b - a, []).append(j)
    cfo = (-torch.angle(p.to(torch.complex64)).double() * fs / (2 * math.pi * STF_PERIOD)).tolist()
    for length, rows in groups.items():
        dets = _refine_segments(y, pre, fs, [lo[j] for j in rows], length, [cfo[j] for j in rows], span)
        for j, det in zip(rows, dets):
            out[j] = None if det is None else replace(det, metric=float(metric[j]))
    return out


def _refine_segments(y: torch.Tensor, pre: Preamble, fs: float, lo: list[int], length: int, cfo: list[float],
                     span: int) -> list[Detection | None]:
    """LTF timing, fine CFO and SNR in segments ``y[:, lo[b]:lo[b] + length]`` [B, rx, length] after
    removing each one's coarse ``cfo`` [B] (Hz); the LTF's first copy is looked for in the first ``span``."""
    n_fft = pre.cfg.fft_size
    start = torch.as_tensor(lo, dtype=torch.int64)
    k = start[:, None] + torch.arange(length)  # [B, L] sample indices
    seg = y[:, k].transpose(0, 1) * cfo_rotation(cfo, start, length, fs)[:, None]  # [B, rx, L], coarse-CFO corrected
    corr = _xcorr(seg, pre.ltf_symbol)  # [B, positions]
    energy = _sliding_sum(seg.abs().square().sum(1), n_fft).real.float()[:, :corr.shape[-1]]
    floor = ENERGY_FLOOR * energy.amax(-1, keepdim=True)  # FFT residue in quiet stretches
    norm = (corr / (energy.clamp_min(1e-30).maximum(floor).sqrt() * math.sqrt(n_fft))).clamp_max(1.0)
    norm = torch.where(energy > floor, norm, torch.zeros_like(norm))  # <= 1 (Cauchy-Schwarz)
    positions = norm.shape[-1] - n_fft
    first_copy, second_copy = norm[:, :positions], norm[:, n_fft:]
    best = torch.argmax((first_copy + second_copy)[:, :max(1, span)], dim=-1)  # [B]
    confirmed = torch.minimum(first_copy.gather(1, best[:, None]), second_copy.gather(1, best[:, None]))[:, 0]
    idx = best[:, None, None] + torch.arange(n_fft)  # [B, 1, N]
    first = seg.gather(2, idx.expand(-1, seg.shape[1], -1))  # [B, rx, N]
    second = seg.gather(2, (idx + n_fft).expand(-1, seg.shape[1], -1))
    turn = torch.angle((first * second.conj()).sum((1, 2)))  # [B]
    second = second * torch.exp(1j * turn)[:, None, None]  # align the copies' phases: their difference is noise
    used = torch.as_tensor(pre.cfg.used_subcarriers)
    both = torch.fft.fftshift(torch.fft.fft(torch.stack([first + second, second - first]) / 2, norm="ortho"),
                              dim=-1)[..., used]  # [2, B, rx, U]: signal (|s|^2 + sigma^2 / 2), noise (sigma^2 / 2)
    received, noise_power = both.abs().square().mean((2, 3)).double()  # [B] each
    dets = []
    for b, (a, ok, t, r, n) in enumerate(zip(lo, (confirmed >= LTF_THRESHOLD).tolist(), turn.tolist(),
                                             received.tolist(), noise_power.tolist())):
        signal_power = max(r - n, 2e-3 * n)
        if not ok or not signal_power > 0:  # no LTF there: a false alarm
            dets.append(None)
            continue
        snr = max((r / max(n, 1e-30) - 1.0) / 2.0, 1e-3)
        ltf_start = a + int(best[b])
        dets.append(Detection(start=ltf_start + 2 * n_fft, preamble_start=ltf_start - pre.ltf_offset,
                              cfo_hz=cfo[b] - t * fs / (2 * math.pi * n_fft), snr_db=10 * math.log10(snr),
                              metric=0.0, noise_var=2.0 * n, signal_power=signal_power))
    return dets


def _xcorr(seg: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    """Cross-correlation magnitude of each antenna with ``ref``, combined over antennas as
    sqrt(sum |c_rx|^2): [..., rx, n] -> [..., n - len(ref) + 1], float32."""
    n, m = seg.shape[-1], ref.shape[-1]
    size = 1 << (n + m - 1).bit_length()
    c = torch.fft.ifft(torch.fft.fft(seg, size) * torch.fft.fft(ref.flip(-1).conj(), size))[..., m - 1:n]
    return c.abs().square().sum(-2).sqrt()


def cfo_rotation(cfo_hz, first_index, length: int, sample_rate_sps: float) -> torch.Tensor:
    """``exp(-j 2 pi cfo (first_index + k) / fs)`` for ``k < length``: scalars give [length],
    ``cfo_hz`` and ``first_index`` [B] give [B, length] (complex64)."""
    k = torch.as_tensor(first_index, dtype=torch.float64)[..., None] + torch.arange(length, dtype=torch.float64)
    cycles = torch.as_tensor(cfo_hz, dtype=torch.float64)[..., None] * k / sample_rate_sps
    phase = (2 * math.pi) * (cycles - cycles.round())  # reduced in float64: float32 keeps it exact to 1e-7 rad
    return torch.polar(torch.ones((), dtype=torch.float32), -phase.float())


def correct_cfo(y: torch.Tensor, cfo_hz: float, sample_rate_sps: float, first_index: int = 0) -> torch.Tensor:
    """Remove a carrier offset: ``y[k] * exp(-j 2 pi cfo (first_index + k) / fs)``. :input y: [..., n]."""
    return y * cfo_rotation(cfo_hz, first_index, y.shape[-1], sample_rate_sps)

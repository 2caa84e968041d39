"""``sim``: a simulated SDR pair with the impairments of real front ends.

What goes out through ``tx`` comes back through ``rx`` after a multipath
channel and: carrier frequency offset, Wiener phase noise, IQ imbalance, DC
offset, additive noise, and ADC clipping and quantisation. Like a real SDR,
a cyclic TX buffer repeats forever and ``rx`` returns the next samples of one
continuous stream whose start is unknown (a random point of the buffer); a
one-shot buffer is sent once, a random delay after the call, and silence
(noise) follows.

Stream faults (sample drops, sampling-clock offset, bursts, a disconnect, ...) are not options
here: a ``faults:`` mapping in the YAML applies them to any backend's reads (:mod:`radio.faults`).

Options (``RadioConfig.options``), with defaults:

- ``snr_db`` (20): the sample SNR: mean TX power per sample and antenna over the
  whole buffer (:func:`buffer_power`, silent gaps included) over the noise power per
  sample, over the whole sample-rate bandwidth. The project's SNR is Es/N0 per
  resource element: an OFDM signal on U of N subcarriers sees 10 log10(N/U) dB more
  per used subcarrier, plus the ratio of a frame part's power to the buffer's mean
  (``semcom.ota.re_snr_db`` does the conversion; +2.7 dB for the seed frame's body).
- ``channel`` (``awgn``): ``awgn``, ``multipath`` (exponential power-delay
  profile) or a Sionna model ``tdl-a``..``tdl-e``; ``delay_spread_s`` (300e-9).
- ``cfo_ppm`` (0): carrier offset in parts per million of the centre frequency.
- ``phase_noise_linewidth_hz`` (0): Wiener phase-noise linewidth in Hz.
- ``iq_gain_imbalance_db`` (0), ``iq_phase_imbalance_deg`` (0).
- ``dc_offset`` (0): complex DC added at the ADC, relative to full scale (a number or a
  string such as ``"0.05+0.02j"``).
- ``output_scale_db`` (0): gain applied after the ADC, -120..+120 dB, as a driver or a
  recording in raw units delivers samples (int16 counts: about +90 dB); the receiver must not
  care.
- ``adc_bits`` (12), ``adc_full_scale`` (1.0): quantiser resolution and clip level.
- ``rx_gain_db`` of the config scales the signal before the ADC (0 dB: unit gain).
- ``seed`` (None): random seed for reproducible runs: noise, phase noise, the stream's start and
  every channel realisation (multipath and TDL taps) follow it.
"""

from __future__ import annotations

import warnings

import numpy as np

from .base import Capabilities, Radio
from .config import RadioConfig

DEFAULTS = {"snr_db": 20.0, "channel": "awgn", "delay_spread_s": 300e-9, "cfo_ppm": 0.0,
            "phase_noise_linewidth_hz": 0.0, "iq_gain_imbalance_db": 0.0, "iq_phase_imbalance_deg": 0.0,
            "dc_offset": 0.0, "adc_bits": 12, "adc_full_scale": 1.0, "seed": None, "max_delay_samples": None,
            "output_scale_db": 0.0}


ADC_CLIP_WARN = 1e-3  # fraction of clipped samples that earns a warning


def buffer_power(samples: np.ndarray) -> float:
    """Mean power per sample and transmit antenna over the whole TX buffer (silent gaps included):
    the signal power ``snr_db`` refers to."""
    return float(np.mean(np.abs(samples) ** 2))


class SimRadio(Radio):
    """A simulated radio; see the module docstring for its options."""

    capabilities = Capabilities(num_tx=8, num_rx=8, sample_rate_range_sps=(1e3, 1e9))

    def _configure(self, cfg: RadioConfig) -> None:
        unknown = sorted(set(cfg.options) - set(DEFAULTS))
        if unknown:
            raise ValueError(f"sim radio: unknown option(s) {unknown}; known: {sorted(DEFAULTS)}")
        o = {**DEFAULTS, **cfg.options}
        for key in ("snr_db", "delay_spread_s", "cfo_ppm", "phase_noise_linewidth_hz", "iq_gain_imbalance_db",
                    "iq_phase_imbalance_deg", "adc_full_scale", "output_scale_db"):
            try:
                o[key] = float(o[key])
            except (TypeError, ValueError):
                raise ValueError(f"sim radio: option {key}={o[key]!r} is not a number") from None
        if not -20 <= float(o["snr_db"]) <= 100:
            raise ValueError(f"sim radio: snr_db={o['snr_db']} outside -20..100 dB")
        if not 1 <= int(o["adc_bits"]) <= 24:
            raise ValueError(f"sim radio: adc_bits={o['adc_bits']} outside 1..24")
        try:
            o["dc_offset"] = complex(str(o["dc_offset"]).replace(" ", ""))
        except ValueError:
            raise ValueError(f"sim radio: option dc_offset={o['dc_offset']!r} is not a (complex) number") from None
        if abs(o["dc_offset"]) > 1.0:
            raise ValueError(f"sim radio: dc_offset={o['dc_offset']} beyond full scale (|dc| <= 1)")
        if not -120 <= o["output_scale_db"] <= 120:
            raise ValueError(f"sim radio: output_scale_db={o['output_scale_db']} outside -120..120 dB")
        if abs(float(o["cfo_ppm"])) > 200:
            raise ValueError(f"sim radio: cfo_ppm={o['cfo_ppm']} beyond ±200 ppm")
        self.opts = o
        self.rng = np.random.default_rng(o["seed"])
        self.cfo_hz = float(o["cfo_ppm"]) * 1e-6 * cfg.center_frequency_hz
        self._buffer: np.ndarray | None = None
        self._cyclic = True
        self._start = 0  # stream index at which a one-shot buffer begins
        self._t = 0  # stream index of the next RX sample
        self._phase = 0.0  # phase-noise state
        self._taps = np.zeros((cfg.num_rx, cfg.num_tx, 1), np.complex64)
        self._noise_var = 0.0
        self._warned_clipping = False

    # -- channel ----------------------------------------------------------------------
    def _draw_taps(self, cfg: RadioConfig) -> np.ndarray:
        name = self.opts["channel"]
        if name == "awgn":
            taps = np.zeros((cfg.num_rx, cfg.num_tx, 1), np.complex64)
            for i in range(min(cfg.num_rx, cfg.num_tx)):
                taps[i, i, 0] = 1.0
            return taps
        import torch

        seed = int(self.rng.integers(2 ** 31))
        if name == "multipath":
            from phy.multipath import exponential_pdp_taps

            rms = float(self.opts["delay_spread_s"]) * cfg.sample_rate_sps
            n = max(1, int(round(6 * rms)) + 1)
            h = exponential_pdp_taps(1, cfg.num_rx, cfg.num_tx, n, rms, torch.Generator().manual_seed(seed))
            return h[0].numpy()
        if name.startswith("tdl-"):
            from phy.ofdm import OFDMConfig
            from phy.sionna_channel import SionnaTimeChannel

            numerology = OFDMConfig(fft_size=128, subcarrier_spacing_hz=cfg.sample_rate_sps / 128,
                                    num_tx_ant=cfg.num_tx, num_rx_ant=cfg.num_rx, num_streams=1)
            ch = SionnaTimeChannel(name, numerology, delay_spread_s=float(self.opts["delay_spread_s"]),
                                   carrier_frequency_hz=cfg.center_frequency_hz)
            taps = ch.taps(1, 1, seed)[0].numpy()  # [rx, tx, L], lags l_min..l_max
            return np.concatenate([taps[..., -ch.l_min:], np.zeros_like(taps[..., :-ch.l_min])], -1) \
                if ch.l_min < 0 else taps
        raise ValueError(f"sim radio: unknown channel {name!r} (awgn, multipath, tdl-a..tdl-e)")

    # -- Radio ------------------------------------------------------------------------
    def _tx(self, samples: np.ndarray, cyclic: bool) -> None:
        cfg = self.cfg
        self._buffer = samples
        self._cyclic = cyclic
        self._taps = self._draw_taps(cfg)
        power = buffer_power(samples)
        self._noise_var = power * 10 ** (-float(self.opts["snr_db"]) / 10) if power > 0 else 1e-12
        if cyclic:
            self._t = int(self.rng.integers(samples.shape[1]))  # capture starts anywhere in the buffer
            self._start = 0
        else:
            self._start = self._t + int(self.rng.integers(0, max(1, samples.shape[1] // 4)))

    def _tx_stream(self, first: int, n: int) -> np.ndarray:
        """TX samples for stream indices first..first+n-1: [tx, n]."""
        cfg = self.cfg
        out = np.zeros((cfg.num_tx, n), np.complex64)
        if self._buffer is None:
            return out
        idx = np.arange(first, first + n)
        length = self._buffer.shape[1]
        if self._cyclic:
            return self._buffer[:, idx % length]
        rel = idx - self._start
        mask = (rel >= 0) & (rel < length)
        out[:, mask] = self._buffer[:, rel[mask]]
        return out

    def _rx(self, n: int) -> np.ndarray:
        cfg, o = self.cfg, self.opts
        memory = self._taps.shape[-1] - 1
        x = self._tx_stream(self._t - memory, n + memory)  # [tx, n + L - 1]
        y = np.zeros((cfg.num_rx, n), np.complex128)
        for r in range(cfg.num_rx):
            for t in range(cfg.num_tx):
                y[r] += np.convolve(x[t], self._taps[r, t])[memory:memory + n]
        k = np.arange(self._t, self._t + n)
        rotation = 2 * np.pi * self.cfo_hz * k / cfg.sample_rate_sps
        if o["phase_noise_linewidth_hz"]:
            steps = self.rng.normal(0, np.sqrt(2 * np.pi * float(o["phase_noise_linewidth_hz"]) / cfg.sample_rate_sps), n)
            walk = self._phase + np.cumsum(steps)
            self._phase = float(walk[-1])
            rotation = rotation + walk
        y = y * np.exp(1j * rotation)
        y = y + np.sqrt(self._noise_var / 2) * (self.rng.standard_normal(y.shape) + 1j * self.rng.standard_normal(y.shape))
        y = y * 10 ** (cfg.rx_gain_db / 20) if cfg.gain_mode == "manual" else y
        y = self._iq_imbalance(y) + complex(o["dc_offset"])
        self._t += n
        return (self._adc(y) * 10 ** (o["output_scale_db"] / 20)).astype(np.complex64)

    def _iq_imbalance(self, y: np.ndarray) -> np.ndarray:
        g = 10 ** (float(self.opts["iq_gain_imbalance_db"]) / 20)
        phi = np.deg2rad(float(self.opts["iq_phase_imbalance_deg"]))
        i, q = y.real, y.imag
        return i + 1j * g * (q * np.cos(phi) + i * np.sin(phi))

    def _adc(self, y: np.ndarray) -> np.ndarray:
        fs = float(self.opts["adc_full_scale"])
        levels = 2 ** (int(self.opts["adc_bits"]) - 1)
        step = fs / levels
        clipped = float(np.mean((np.abs(y.real) > fs) | (np.abs(y.imag) > fs))) if y.size else 0.0
        if clipped > ADC_CLIP_WARN and not self._warned_clipping:
            self._warned_clipping = True
            warnings.warn(f"sim radio: the ADC clips {100 * clipped:.1f} % of the samples; lower rx_gain_db "
                          f"(now {self.cfg.rx_gain_db:g} dB) or output_scale_db", stacklevel=2)

        def q(v):
            return np.clip(np.round(v / step), -levels, levels - 1) * step
        return q(y.real) + 1j * q(y.imag)

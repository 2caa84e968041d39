"""``pluto``: ADALM-Pluto through pyadi-iio (``adi.Pluto``).

Install: ``pip install 'semcom-sdr[pluto]'`` (pyadi-iio with ``pylibiio==0.25``,
which needs Debian's ``libiio0``; pylibiio 1.0 needs libiio 1.x, which Debian 12
lacks). The address comes only from the config's ``uri`` (``ip:…``, ``usb:…``):
nothing here falls back to Pluto's defaults (``ip:192.168.2.1``, ``ip:pluto.local``)
or scans the network.

Scaling: samples of full-scale amplitude 1.0 go to the DAC as ±2^14 (what
pyadi-iio's ``tx`` expects); the AD936x's 12-bit ADC returns ±2^11, mapped back
to ±1.0. Options: ``tx_full_scale`` (2**14), ``rx_full_scale`` (2**11).

Buffer status: after each read the ADI DMA status register of the RX ADC core (bit 2: overflow)
and of the TX DAC core (bit 0: underflow) is read through libiio (``reg_read`` on pyadi-iio's
``_rxadc`` / ``_txdac``, as libiio's ``iio_adi_xflow_check`` does) and cleared; a set bit is a
stream event (``Radio.events``) at the start of the read, not an error. A context without
register access skips the check (logged once).
"""

from __future__ import annotations

import logging

import numpy as np

from .base import Capabilities, Radio, RadioError
from .config import RadioConfig

LO_RANGE_HZ = (70e6, 6e9)  # AD9363 is specified 325 MHz..3.8 GHz; the AD9361 range is accepted too
TX_GAIN_RANGE_DB = (-89.75, 0.0)
RX_GAIN_RANGE_DB = (-3.0, 73.0)
log = logging.getLogger(__name__)
DMA_STATUS_REG = 0x80000088  # ADI AXI DMAC status; write 1s to clear
XFLOW_BITS = (("_rxadc", 0x4, "overflow"), ("_txdac", 0x1, "underflow"))


def _default_factory(uri: str):
    try:
        import adi
    except ImportError as exc:
        raise RadioError("PlutoSDR needs pyadi-iio: pip install 'semcom-sdr[pluto]' (and Debian's libiio0)") from exc
    return adi.Pluto(uri=uri)


class PlutoRadio(Radio):
    """ADALM-Pluto (one channel; two on a 2R2T unit with ``rx_channels: [0, 1]``).

    :param driver_factory: ``uri -> device``; defaults to ``adi.Pluto``. Tests pass a fake here.
    """

    capabilities = Capabilities(num_tx=2, num_rx=2, sample_rate_range_sps=(521e3, 61.44e6))

    def __init__(self, cfg: RadioConfig | None = None, driver_factory=None):
        self._factory = driver_factory or _default_factory
        self.dev = None
        self._status_ok = True  # register access works (until it fails once)
        super().__init__(cfg)

    def _configure(self, cfg: RadioConfig) -> None:
        if not cfg.uri:
            raise ValueError("pluto: the config needs a uri (e.g. 'ip:192.168.2.1' or 'usb:1.4.5'); "
                             "none is assumed, so nothing is contacted by default")
        if not LO_RANGE_HZ[0] <= cfg.center_frequency_hz <= LO_RANGE_HZ[1]:
            raise ValueError(f"pluto: center_frequency_hz={cfg.center_frequency_hz:g} outside "
                             f"{LO_RANGE_HZ[0]:g}..{LO_RANGE_HZ[1]:g} Hz")
        if not TX_GAIN_RANGE_DB[0] <= cfg.tx_gain_db <= TX_GAIN_RANGE_DB[1]:
            raise ValueError(f"pluto: tx_gain_db={cfg.tx_gain_db} outside {TX_GAIN_RANGE_DB} dB (attenuation)")
        if cfg.gain_mode == "manual" and not RX_GAIN_RANGE_DB[0] <= cfg.rx_gain_db <= RX_GAIN_RANGE_DB[1]:
            raise ValueError(f"pluto: rx_gain_db={cfg.rx_gain_db} outside {RX_GAIN_RANGE_DB} dB")
        unknown = sorted(set(cfg.options) - {"tx_full_scale", "rx_full_scale"})
        if unknown:
            raise ValueError(f"pluto: unknown option(s) {unknown}; known: rx_full_scale, tx_full_scale")
        self.tx_scale = float(cfg.options.get("tx_full_scale", 2 ** 14))
        self.rx_scale = float(cfg.options.get("rx_full_scale", 2 ** 11))
        if self.dev is None:
            try:
                self.dev = self._factory(cfg.uri)
            except RadioError:
                raise
            except Exception as exc:  # iio raises OSError/ConnectionError/bare Exception
                raise RadioError(f"PlutoSDR not found at {cfg.uri}: {exc}") from exc
        try:
            d = self.dev
            d.ctx.set_timeout(int(round(cfg.timeout_s * 1000)))  # libiio: every buffer refill/push, in ms
            d.sample_rate = int(cfg.sample_rate_sps)
            d.rx_lo = int(cfg.center_frequency_hz)
            d.tx_lo = int(cfg.center_frequency_hz)
            bandwidth = int(cfg.rf_bandwidth_hz or cfg.sample_rate_sps)
            d.rx_rf_bandwidth = bandwidth
            d.tx_rf_bandwidth = bandwidth
            d.rx_enabled_channels = list(cfg.rx_channels)
            d.tx_enabled_channels = list(cfg.tx_channels)
            for ch in cfg.rx_channels:
                setattr(d, f"gain_control_mode_chan{ch}", cfg.gain_mode)
                if cfg.gain_mode == "manual":
                    setattr(d, f"rx_hardwaregain_chan{ch}", float(cfg.rx_gain_db))
            for ch in cfg.tx_channels:
                setattr(d, f"tx_hardwaregain_chan{ch}", float(cfg.tx_gain_db))
            d.rx_buffer_size = int(cfg.rx_buffer_size)
        except Exception as exc:
            raise RadioError(f"PlutoSDR at {cfg.uri} refused a setting: {exc}") from exc

    def _tx(self, samples: np.ndarray, cyclic: bool) -> None:
        d = self.dev
        try:
            d.tx_destroy_buffer()  # a cyclic buffer must go before new data (pyadi-iio raises otherwise)
            d.tx_cyclic_buffer = bool(cyclic)
            scaled = samples * self.tx_scale
            d.tx(scaled[0] if scaled.shape[0] == 1 else list(scaled))
        except Exception as exc:
            raise RadioError(f"PlutoSDR tx failed: {exc}") from exc

    def _rx(self, n: int) -> np.ndarray:
        d = self.dev
        try:
            if d.rx_buffer_size != n:
                d.rx_destroy_buffer()
                d.rx_buffer_size = n
            data = d.rx()
        except TimeoutError as exc:
            raise RadioError(f"PlutoSDR rx timed out after {self.cfg.timeout_s:g} s: {exc}") from exc
        except Exception as exc:
            raise RadioError(f"PlutoSDR rx failed (disconnected or overflowed?): {exc}") from exc
        self._check_buffer_status()
        data = np.atleast_2d(np.asarray(data if not isinstance(data, list) else np.stack(data)))
        return (data / self.rx_scale).astype(np.complex64)

    def _check_buffer_status(self) -> None:
        """Overflow / underflow bits of the DMA cores since the last read: events, then cleared."""
        if not self._status_ok:
            return
        for attr, bit, kind in XFLOW_BITS:
            core = getattr(self.dev, attr, None)
            if core is None:
                continue
            try:
                status = int(core.reg_read(DMA_STATUS_REG))
                if status & bit:
                    self.stream_event(kind)
                    core.reg_write(DMA_STATUS_REG, status & bit)
            except Exception as exc:  # e.g. a backend without register access
                self._status_ok = False
                log.info("PlutoSDR: no buffer status (%s); overflows go unreported", exc)
                return

    def _close(self) -> None:
        if self.dev is not None:
            for release in ("tx_destroy_buffer", "rx_destroy_buffer"):
                try:
                    getattr(self.dev, release)()
                except Exception:  # closing must not raise; the device may already be gone
                    pass
            self.dev = None

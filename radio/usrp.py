"""``usrp``: Ettus USRPs through the UHD Python API (``uhd``; Debian's python3-uhd,
PyPI has no Linux wheel).

The device arguments come only from the config's ``uri`` (e.g. ``serial=3215ABC``,
``addr=192.168.40.2``, ``type=b200``): an empty argument string would make UHD
broadcast for devices, so it is refused. Reception uses timed ``num_done``
stream commands (``rx_delay_s`` after the device's current time); UHD has no
hardware cyclic buffer, so a cyclic TX buffer is re-sent by a background thread
until it is replaced or the radio closes. An RX overflow (UHD's ``ERROR_CODE_OVERFLOW`` in the
receive metadata) is a stream event (``Radio.events``), logged where the samples were lost.

Options: ``subdev_tx``/``subdev_rx`` (e.g. ``"A:0 B:0"`` for 2x2 on an X310),
``antenna_tx`` (``TX/RX``), ``antenna_rx`` (``RX2``), ``clock_source`` (``internal``),
``rx_delay_s`` (0.05).
"""

from __future__ import annotations

import threading

import numpy as np

from .base import Capabilities, Radio, RadioError
from .config import RadioConfig

OPTIONS = {"subdev_tx": None, "subdev_rx": None, "antenna_tx": "TX/RX", "antenna_rx": "RX2",
           "clock_source": "internal", "rx_delay_s": 0.05}
MAX_OVERFLOWS = 16  # overflows within one read before it is an error


def _import_uhd():
    try:
        import uhd
    except ImportError as exc:
        raise RadioError("USRPs need the UHD Python API: apt install python3-uhd (Debian), "
                         "then make it visible to this Python") from exc
    return uhd


class USRPRadio(Radio):
    """A USRP (B2x0, N2x0, X3x0, ...) through ``uhd.usrp.MultiUSRP``.

    :param uhd_module: the ``uhd`` package; tests pass a fake module here.
    """

    capabilities = Capabilities(num_tx=4, num_rx=4, sample_rate_range_sps=(1e3, 250e6))

    def __init__(self, cfg: RadioConfig | None = None, uhd_module=None):
        self.uhd = uhd_module
        self.dev = None
        self._tx_thread: threading.Thread | None = None
        self._tx_stop = threading.Event()
        self._tx_error: str | None = None
        super().__init__(cfg)

    def _configure(self, cfg: RadioConfig) -> None:
        if not cfg.uri:
            raise ValueError("usrp: the config needs device arguments in uri (e.g. 'serial=3215ABC' or "
                             "'addr=192.168.40.2'); empty arguments would broadcast a device search")
        unknown = sorted(set(cfg.options) - set(OPTIONS))
        if unknown:
            raise ValueError(f"usrp: unknown option(s) {unknown}; known: {sorted(OPTIONS)}")
        self.opts = {**OPTIONS, **cfg.options}
        self.uhd = self.uhd or _import_uhd()
        u = self.uhd
        if self.dev is None:
            try:
                self.dev = u.usrp.MultiUSRP(cfg.uri)
            except Exception as exc:  # UHD raises RuntimeError/LookupError with multi-line text
                raise RadioError(f"USRP not found with args '{cfg.uri}': {str(exc).splitlines()[0]}") from exc
        d = self.dev
        try:
            d.set_clock_source(self.opts["clock_source"])
            if self.opts["subdev_tx"]:
                d.set_tx_subdev_spec(u.usrp.SubdevSpec(self.opts["subdev_tx"]))
            if self.opts["subdev_rx"]:
                d.set_rx_subdev_spec(u.usrp.SubdevSpec(self.opts["subdev_rx"]))
            bandwidth = float(cfg.rf_bandwidth_hz or cfg.sample_rate_sps)
            for ch in cfg.tx_channels:
                d.set_tx_rate(float(cfg.sample_rate_sps), ch)
                d.set_tx_freq(u.types.TuneRequest(float(cfg.center_frequency_hz)), ch)
                d.set_tx_gain(float(cfg.tx_gain_db), ch)
                d.set_tx_bandwidth(bandwidth, ch)
                d.set_tx_antenna(self.opts["antenna_tx"], ch)
            for ch in cfg.rx_channels:
                d.set_rx_rate(float(cfg.sample_rate_sps), ch)
                d.set_rx_freq(u.types.TuneRequest(float(cfg.center_frequency_hz)), ch)
                if cfg.gain_mode == "manual":
                    d.set_rx_gain(float(cfg.rx_gain_db), ch)
                else:
                    d.set_rx_agc(True, ch)
                d.set_rx_bandwidth(bandwidth, ch)
                d.set_rx_antenna(self.opts["antenna_rx"], ch)
            d.set_time_now(u.types.TimeSpec(0.0))
            args = u.usrp.StreamArgs("fc32", "sc16")
            args.channels = list(cfg.rx_channels)
            self._rx_stream = d.get_rx_stream(args)
            args = u.usrp.StreamArgs("fc32", "sc16")
            args.channels = list(cfg.tx_channels)
            self._tx_stream = d.get_tx_stream(args)
        except Exception as exc:
            raise RadioError(f"USRP '{cfg.uri}' refused a setting: {str(exc).splitlines()[0]}") from exc

    # -- transmit -----------------------------------------------------------------------
    def _tx(self, samples: np.ndarray, cyclic: bool) -> None:
        self._stop_tx()
        if cyclic:
            self._tx_stop.clear()
            self._tx_error = None
            self._tx_thread = threading.Thread(target=self._tx_loop, args=(samples,), daemon=True)
            self._tx_thread.start()
        else:
            self._send_burst(samples, start=True, end=True)

    def _send_burst(self, samples: np.ndarray, start: bool, end: bool) -> None:
        md = self.uhd.types.TXMetadata()
        md.start_of_burst, md.end_of_burst = start, end
        sent = self._tx_stream.send(np.ascontiguousarray(samples), md, self.cfg.timeout_s)
        if sent != samples.shape[-1]:
            raise RadioError(f"USRP tx sent {sent} of {samples.shape[-1]} samples (timeout or underflow)")

    def _tx_loop(self, samples: np.ndarray) -> None:
        first = True
        try:
            while not self._tx_stop.is_set():
                self._send_burst(samples, start=first, end=False)
                first = False
            self._send_burst(np.zeros((samples.shape[0], 1), np.complex64), start=False, end=True)
        except Exception as exc:  # reported by the next tx/rx call
            self._tx_error = str(exc)

    def _stop_tx(self) -> None:
        if self._tx_thread is not None:
            self._tx_stop.set()
            self._tx_thread.join(timeout=self.cfg.timeout_s + 1.0)
            self._tx_thread = None

    # -- receive ------------------------------------------------------------------------
    def _rx(self, n: int) -> np.ndarray:
        """``n`` samples from a timed ``num_done`` command. An overflow (the host was too slow and
        samples were lost) is a stream event, not an error: it is logged at the point of the gap,
        and a new command fetches the rest; only :data:`MAX_OVERFLOWS` in one read is an error."""
        if self._tx_error:
            raise RadioError(f"USRP cyclic tx stopped: {self._tx_error}")
        u, cfg = self.uhd, self.cfg
        codes = u.types.RXMetadataErrorCode
        self._stream_cmd(n)
        out = np.zeros((cfg.num_rx, n), np.complex64)
        md = u.types.RXMetadata()
        got = overflows = 0
        while got < n:
            chunk = np.zeros((cfg.num_rx, n - got), np.complex64)
            k = self._rx_stream.recv(chunk, md, cfg.timeout_s + float(self.opts["rx_delay_s"]))
            code = md.error_code
            if code == codes.timeout:
                raise RadioError(f"USRP rx timed out after {cfg.timeout_s:g} s ({got} of {n} samples)")
            if code == codes.overflow:
                overflows += 1
                if overflows > MAX_OVERFLOWS:
                    raise RadioError(f"USRP rx overflowed {overflows} times in one read of {n} samples: "
                                     "the host is too slow")
                self.stream_event("overflow", got)
                self._stream_cmd(n - got)
                continue
            if code != codes.none:
                raise RadioError(f"USRP rx error {code} after {got} of {n} samples")
            out[:, got:got + k] = chunk[:, :k]
            got += k
        return out

    def _stream_cmd(self, n: int) -> None:
        """Ask for ``n`` samples, starting ``rx_delay_s`` after the device's current time."""
        u = self.uhd
        cmd = u.types.StreamCMD(u.types.StreamMode.num_done)
        cmd.num_samps = n
        cmd.stream_now = False
        cmd.time_spec = self.dev.get_time_now() + u.types.TimeSpec(float(self.opts["rx_delay_s"]))
        self._rx_stream.issue_stream_cmd(cmd)

    def _close(self) -> None:
        if self.cfg is not None:
            self._stop_tx()
        self.dev = None

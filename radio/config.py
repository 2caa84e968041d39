"""Radio configuration: one frozen dataclass per device, loaded from YAML.

Units are in the field names: Hz, S/s (samples per second), dB, samples.
Hardware addresses (``uri``) come only from the user's file or command line;
there is no default that could reach the network.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import ClassVar

from phy.configio import MappingConfig

from .faults import FaultConfig

DRIVERS = ("sim", "pluto", "usrp", "file", "zmq")
GAIN_MODES = ("manual", "slow_attack", "fast_attack", "hybrid")


@dataclass(frozen=True)
class RadioConfig(MappingConfig):
    """Settings common to every backend; ``options`` holds the backend's own.

    :param driver: ``sim``, ``pluto``, ``usrp``, ``file`` or ``zmq``.
    :param center_frequency_hz: RF centre frequency in Hz (TX and RX LO).
    :param sample_rate_sps: baseband sample rate in samples per second.
    :param rf_bandwidth_hz: analogue filter bandwidth in Hz (None: the sample rate).
    :param tx_gain_db: transmit gain in dB (Pluto: attenuation as a negative gain, -89.75..0).
    :param rx_gain_db: receive gain in dB, used when ``gain_mode`` is ``manual``; unset, the driver's
        default (:data:`DEFAULT_RX_GAIN_DB`: unity for ``sim``, ``file`` and ``zmq``, whose samples
        are already at full scale; mid-range for the Pluto's and a USRP's front ends).
    :param gain_mode: ``manual`` or an AGC mode (``slow_attack``, ``fast_attack``, ``hybrid``).
    :param rx_buffer_size: samples returned by one hardware read.
    :param tx_channels: transmit channel indices.
    :param rx_channels: receive channel indices.
    :param uri: hardware address (``ip:…``, ``usb:…``, UHD device args), user-supplied only.
    :param timeout_s: how long one rx/tx call may block before it is an error.
    :param options: backend-specific settings (see each backend's docstring).
    :param faults: faults injected into the receive stream (:class:`radio.faults.FaultConfig`;
        empty: none).
    """

    yaml_section: ClassVar[str] = "radio"

    driver: str = "sim"
    center_frequency_hz: float = 2.0e9
    sample_rate_sps: float = 1.92e6
    rf_bandwidth_hz: float | None = None
    tx_gain_db: float = -10.0
    rx_gain_db: float | None = None
    gain_mode: str = "manual"
    rx_buffer_size: int = 2 ** 15
    tx_channels: tuple = (0,)
    rx_channels: tuple = (0,)
    uri: str | None = None
    timeout_s: float = 5.0
    options: dict = field(default_factory=dict)
    faults: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.rx_gain_db is None and self.driver in DEFAULT_RX_GAIN_DB:
            object.__setattr__(self, "rx_gain_db", DEFAULT_RX_GAIN_DB[self.driver])
        # YAML 1.1 reads 2.4e9 (no exponent sign) as a string: accept numbers written either way
        for name in ("center_frequency_hz", "sample_rate_sps", "rf_bandwidth_hz", "tx_gain_db", "rx_gain_db",
                     "timeout_s", "rx_buffer_size"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, bool):
                try:
                    number = float(value)
                except (TypeError, ValueError):
                    raise ValueError(f"RadioConfig.{name}={value!r} is not a number") from None
                object.__setattr__(self, name, int(number) if name == "rx_buffer_size" else number)
        object.__setattr__(self, "tx_channels", tuple(int(c) for c in self.tx_channels))
        object.__setattr__(self, "rx_channels", tuple(int(c) for c in self.rx_channels))
        object.__setattr__(self, "options", dict(self.options or {}))
        object.__setattr__(self, "faults", dict(self.faults or {}))
        FaultConfig.from_dict(self.faults, source="RadioConfig.faults")  # refuse a bad fault profile early
        _check(self.driver in DRIVERS, "driver", self.driver, f"must be one of {', '.join(DRIVERS)}")
        _check(1e6 <= self.center_frequency_hz <= 100e9, "center_frequency_hz", self.center_frequency_hz,
               "must be in 1 MHz..100 GHz")
        _check(1e3 <= self.sample_rate_sps <= 1e9, "sample_rate_sps", self.sample_rate_sps, "must be in 1 kS/s..1 GS/s")
        _check(self.rf_bandwidth_hz is None or self.rf_bandwidth_hz > 0, "rf_bandwidth_hz", self.rf_bandwidth_hz,
               "must be > 0")
        _check(self.gain_mode in GAIN_MODES, "gain_mode", self.gain_mode, f"must be one of {', '.join(GAIN_MODES)}")
        _check(self.rx_buffer_size >= 64, "rx_buffer_size", self.rx_buffer_size, "must be >= 64 samples")
        _check(len(self.tx_channels) >= 1 and len(self.rx_channels) >= 1, "tx_channels/rx_channels",
               (self.tx_channels, self.rx_channels), "need at least one channel each")
        _check(self.timeout_s > 0, "timeout_s", self.timeout_s, "must be > 0")

    @property
    def num_tx(self) -> int:
        return len(self.tx_channels)

    @property
    def num_rx(self) -> int:
        return len(self.rx_channels)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["tx_channels"], d["rx_channels"] = list(self.tx_channels), list(self.rx_channels)
        return d



DEFAULT_RX_GAIN_DB = {"sim": 0.0, "file": 0.0, "zmq": 0.0, "pluto": 30.0, "usrp": 30.0}


def _check(ok: bool, name: str, value, why: str) -> None:
    if not ok:
        raise ValueError(f"RadioConfig.{name}={value!r} {why}")

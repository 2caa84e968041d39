"""OFDM numerology and resource-grid layout, validated, loadable from YAML.

Subcarriers are indexed 0..fft_size-1 with DC at ``fft_size // 2`` (Sionna's
convention): the used subcarriers sit symmetrically around DC, the rest are
guard bands. Pilots occupy whole OFDM symbols (``pilot_symbols``); on those
symbols the used subcarriers are shared by the streams in a comb (subcarrier j
belongs to stream ``j % num_streams``), so the streams' pilots are orthogonal.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..configio import MappingConfig


@dataclass(frozen=True)
class OFDMConfig(MappingConfig):
    """OFDM numerology and layout of one slot.

    :param fft_size: FFT size N.
    :param cp_length: cyclic-prefix length in samples, 0 <= cp_length < fft_size.
    :param subcarrier_spacing_hz: subcarrier spacing in Hz; sample rate = N * spacing.
    :param num_used_subcarriers: active subcarriers, DC excluded, centred on DC.
    :param dc_null: leave the DC subcarrier empty.
    :param num_ofdm_symbols: OFDM symbols per slot.
    :param pilot_symbols: indices (within a slot) of the pilot OFDM symbols.
    :param num_tx_ant: transmit antennas.
    :param num_rx_ant: receive antennas.
    :param num_streams: spatial streams, 1 <= num_streams <= min(num_tx_ant, num_rx_ant).
    """

    fft_size: int = 128
    cp_length: int = 9
    subcarrier_spacing_hz: float = 15e3
    num_used_subcarriers: int = 72
    dc_null: bool = True
    num_ofdm_symbols: int = 7
    pilot_symbols: tuple = (0, 4)
    num_tx_ant: int = 1
    num_rx_ant: int = 1
    num_streams: int = 1

    def __post_init__(self):
        object.__setattr__(self, "pilot_symbols", tuple(int(i) for i in self.pilot_symbols))
        _require(self.fft_size >= 8, "fft_size", self.fft_size, "must be >= 8")
        _require(0 <= self.cp_length < self.fft_size, "cp_length", self.cp_length,
                 f"must satisfy 0 <= cp_length < fft_size ({self.fft_size})")
        _require(self.subcarrier_spacing_hz > 0, "subcarrier_spacing_hz", self.subcarrier_spacing_hz, "must be > 0")
        room = self.fft_size - (1 if self.dc_null else 0)
        _require(1 <= self.num_used_subcarriers <= room, "num_used_subcarriers", self.num_used_subcarriers,
                 f"must be in 1..{room} for fft_size {self.fft_size}{' with a DC null' if self.dc_null else ''}")
        _require(self.num_used_subcarriers % 2 == 0 or not self.dc_null, "num_used_subcarriers",
                 self.num_used_subcarriers, "must be even with a DC null (half on each side)")
        _require(self.num_ofdm_symbols >= 1, "num_ofdm_symbols", self.num_ofdm_symbols, "must be >= 1")
        bad = [i for i in self.pilot_symbols if not 0 <= i < self.num_ofdm_symbols]
        _require(not bad, "pilot_symbols", self.pilot_symbols,
                 f"indices {bad} fall outside the slot's {self.num_ofdm_symbols} OFDM symbols")
        _require(len(set(self.pilot_symbols)) == len(self.pilot_symbols), "pilot_symbols", self.pilot_symbols,
                 "has duplicates")
        _require(len(self.pilot_symbols) < self.num_ofdm_symbols, "pilot_symbols", self.pilot_symbols,
                 "leaves no OFDM symbol for data")
        _require(len(self.pilot_symbols) >= 1, "pilot_symbols", self.pilot_symbols, "needs at least one pilot symbol")
        for name in ("num_tx_ant", "num_rx_ant", "num_streams"):
            _require(getattr(self, name) >= 1, name, getattr(self, name), "must be >= 1")
        _require(self.num_streams <= self.num_tx_ant, "num_streams", self.num_streams,
                 f"exceeds num_tx_ant ({self.num_tx_ant}): more streams than transmit antennas")
        _require(self.num_streams <= self.num_rx_ant, "num_streams", self.num_streams,
                 f"exceeds num_rx_ant ({self.num_rx_ant}): the receiver cannot separate them")
        _require(self.num_used_subcarriers >= 2 * self.num_streams, "num_used_subcarriers",
                 self.num_used_subcarriers, "leaves fewer than two pilots per stream")

    # -- derived quantities -------------------------------------------------------
    @property
    def sample_rate_hz(self) -> float:
        return self.fft_size * self.subcarrier_spacing_hz

    @property
    def symbol_length(self) -> int:
        """Samples per OFDM symbol including the cyclic prefix."""
        return self.fft_size + self.cp_length

    @property
    def data_symbols(self) -> tuple:
        return tuple(i for i in range(self.num_ofdm_symbols) if i not in self.pilot_symbols)

    @property
    def used_subcarriers(self) -> np.ndarray:
        """Indices (0..N-1, DC at N//2) of the used subcarriers, ascending."""
        dc, n = self.fft_size // 2, self.num_used_subcarriers
        if self.dc_null:
            return np.concatenate([np.arange(dc - n // 2, dc), np.arange(dc + 1, dc + 1 + n // 2)])
        return np.arange(dc - n // 2, dc - n // 2 + n)

    @property
    def data_res_per_slot(self) -> int:
        """Data resource elements per slot and stream."""
        return len(self.data_symbols) * self.num_used_subcarriers

    def num_slots(self, num_symbols: int) -> int:
        """Slots needed to carry ``num_symbols`` complex symbols over all streams."""
        per_slot = self.data_res_per_slot * self.num_streams
        return max(1, -(-int(num_symbols) // per_slot))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["pilot_symbols"] = list(self.pilot_symbols)
        return d


def _require(ok: bool, field: str, value, why: str) -> None:
    if not ok:
        raise ValueError(f"OFDMConfig.{field}={value!r} {why}")


def preset(name: str) -> OFDMConfig:
    """Named configurations.

    - ``seed-2x2``: the MIMO-OFDM seed setup, 128-point FFT at 15 kHz (1.92 MS/s),
      72 used subcarriers around a null DC, 7 symbols per slot (LTE normal CP 9),
      pilots on symbols 0 and 4, 2x2 with two streams.
    - ``seed-siso``: the same numerology with one antenna each side.
    - ``wifi-64``: 802.11a-like, 64-point FFT at 312.5 kHz (20 MS/s), CP 16,
      52 used subcarriers around a null DC, one pilot symbol in 10.
    """
    presets = {
        "seed-2x2": OFDMConfig(num_tx_ant=2, num_rx_ant=2, num_streams=2),
        "seed-siso": OFDMConfig(),
        "wifi-64": OFDMConfig(fft_size=64, cp_length=16, subcarrier_spacing_hz=312.5e3, num_used_subcarriers=52,
                              dc_null=True, num_ofdm_symbols=10, pilot_symbols=(0,)),
    }
    if name not in presets:
        raise ValueError(f"unknown OFDM preset {name!r}; choose one of {sorted(presets)}")
    return presets[name]

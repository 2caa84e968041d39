"""3GPP TR 38.901 TDL and CDL channels from Sionna 2.x, as time-domain taps.

Sionna (``pip install semcom-sdr[sionna]``) is imported here only, when a
channel is built, so the rest of ``phy`` runs without it. Sionna generates the
path coefficients and delays and turns them into discrete taps
(``cir_to_time_channel``, sinc pulse shaping, lags ``l_min..l_max``); the taps
are applied by :func:`phy.multipath.apply_fir`, our batched FIR, which the
tests check against Sionna's ``ApplyTimeChannel``.
"""

from __future__ import annotations

import torch

from .extras import require
from .ofdm import OFDMConfig

MODELS = {f"tdl-{m}": ("tdl", m.upper()) for m in "abcde"} | {f"cdl-{m}": ("cdl", m.upper()) for m in "abcde"}
CHANNEL_NAMES = tuple(MODELS)  # the 3GPP TR 38.901 models a link may name


def _import_sionna():
    channel = require("sionna.phy.channel", "sionna", "3GPP TDL/CDL channels (sionna-no-rt 2.x, numpy >= 2.2)")
    tr38901 = require("sionna.phy.channel.tr38901", "sionna", "3GPP TDL/CDL channels")
    return (tr38901.TDL, tr38901.CDL, tr38901.AntennaArray, channel.cir_to_time_channel,
            channel.time_lag_discrete_time_channel)


class SionnaTimeChannel:
    """Taps of a TDL or CDL channel at the OFDM sample rate.

    :param name: ``tdl-a`` .. ``tdl-e`` or ``cdl-a`` .. ``cdl-e``.
    :param ofdm: numerology (sample rate) and antenna counts.
    :param delay_spread_s: rms delay spread in s.
    :param carrier_frequency_hz: carrier in Hz.
    :param max_speed_mps: terminal speed in m/s; 0 gives static taps.
    :param maximum_delay_spread_s: sets ``l_max`` (Sionna's recommendation).
    """

    def __init__(self, name: str, ofdm: OFDMConfig, delay_spread_s: float = 300e-9,
                 carrier_frequency_hz: float = 2.0e9, max_speed_mps: float = 0.0,
                 maximum_delay_spread_s: float = 3e-6):
        if name not in MODELS:
            raise ValueError(f"unknown Sionna channel {name!r}; choose one of {', '.join(MODELS)}")
        tdl, cdl, array, self._cir_to_time, lags = _import_sionna()
        family, letter = MODELS[name]
        self.bandwidth = ofdm.sample_rate_hz
        self.static = max_speed_mps == 0
        self.l_min, self.l_max = lags(self.bandwidth, maximum_delay_spread_s)
        self.num_taps = self.l_max - self.l_min + 1
        if family == "tdl":
            self.model = tdl(letter, delay_spread=delay_spread_s, carrier_frequency=carrier_frequency_hz,
                             min_speed=0.0, max_speed=max_speed_mps, num_rx_ant=ofdm.num_rx_ant,
                             num_tx_ant=ofdm.num_tx_ant)
        else:
            def ula(n):
                return array(num_rows=1, num_cols=n, polarization="single", polarization_type="V",
                             antenna_pattern="omni", carrier_frequency=carrier_frequency_hz)

            self.model = cdl(letter, delay_spread=delay_spread_s, carrier_frequency=carrier_frequency_hz,
                             ut_array=ula(ofdm.num_rx_ant), bs_array=ula(ofdm.num_tx_ant), direction="downlink",
                             min_speed=0.0, max_speed=max_speed_mps)

    def cir_taps(self, batch: int, num_samples: int, seed: int | None = None) -> torch.Tensor:
        """Sionna's taps [batch, 1, rx, 1, tx, num_samples + L - 1, L] (its own layout).

        :param seed: draw the realisations from this seed (Sionna's own generator is left as it
            was); None: from Sionna's generator (``sionna.phy.config.seed``)."""
        steps = 1 if self.static else num_samples + self.num_taps - 1
        rng = self.model.torch_rng  # Sionna draws from its generator, not torch's global one
        state = rng.get_state()
        if seed is not None:
            rng.manual_seed(int(seed))
        try:
            a, tau = self.model(batch, steps, self.bandwidth)
        finally:
            if seed is not None:
                rng.set_state(state)
        return self._cir_to_time(self.bandwidth, a, tau, self.l_min, self.l_max, normalize=True)

    def taps(self, batch: int, num_samples: int, seed: int | None = None) -> torch.Tensor:
        """[batch, rx, tx, L] when static, else [batch, rx, tx, num_samples + L - 1, L];
        ``seed`` as in :meth:`cir_taps`."""
        h = self.cir_taps(batch, num_samples, seed)[:, 0, :, 0]  # [B, rx, tx, steps, L]
        return h[..., 0, :] if self.static else h

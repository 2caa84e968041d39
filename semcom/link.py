"""The end-to-end simulated MIMO-OFDM link, in the order of the signal chain:

symbols -> resource-grid mapping (+ pilots, interleaver) -> precoding -> PAPR
control -> OFDM modulation -> PA -> multipath channel + noise -> OFDM
demodulation -> channel estimation -> equalisation -> demapping.

:class:`OFDMLink` takes the place of a flat channel in ``JSCCModel.forward``:
it maps unit-power symbols [B, k] and an SNR [B] to equalised symbols, their
per-symbol noise variance and the effective SNR the decoder is told. Every
step is differentiable, so models train through it.

SNR is Es/N0 per resource element and receive antenna: the transmitter puts
total power 1 on every used RE (summed over antennas), every tx-rx path has
average power gain 1, and time-domain noise of variance N0 per sample becomes
N0 per RE through the orthonormal DFT.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace

import torch
from torch import nn

from phy.channels import ChannelOutput, complex_normal, noise_variance
from phy.configio import MappingConfig
from phy.multipath import apply_fir, exponential_pdp_taps, flat_taps, frequency_response
from phy.ofdm import (
    OFDMConfig,
    OFDMDemodulator,
    OFDMModulator,
    ResourceGrid,
    ResourceGridDemapper,
    ResourceGridMapper,
    preset,
)
from phy.ofdm.equalization import Equalizer
from phy.ofdm.estimation import LMMSEChannelEstimator, LSChannelEstimator, body_noise_variance
from phy.pa import PA_NAMES, make_pa
from phy.papr import clip_and_filter
from phy.sionna_channel import CHANNEL_NAMES as SIONNA_CHANNELS

TORCH_CHANNELS = ("awgn", "rayleigh", "multipath")
LINK_CHANNELS = TORCH_CHANNELS + SIONNA_CHANNELS  # Sionna's only imported when one is used


def parse_mimo(text: str) -> tuple[int, int, int]:
    """``"2x2"`` -> (tx, rx, streams=min(tx, rx)); ``"2x2x1"`` -> (2, 2, 1): rank 1,
    i.e. beamforming with ``precoding="svd"`` or receive diversity without it."""
    try:
        dims = [int(v) for v in text.lower().split("x")]
    except ValueError:
        dims = []
    if len(dims) not in (2, 3):
        raise ValueError(f"--mimo must look like 2x2 (tx x rx) or 2x2x1 (tx x rx x streams), got {text!r}")
    tx, rx = dims[:2]
    if not (1 <= tx <= 8 and 1 <= rx <= 8):
        raise ValueError(f"--mimo antenna counts must be 1..8, got {text!r}")
    streams = dims[2] if len(dims) == 3 else min(tx, rx)
    if not 1 <= streams <= min(tx, rx):
        raise ValueError(f"--mimo streams must be 1..min(tx, rx) = {min(tx, rx)}, got {text!r}")
    return tx, rx, streams


def ofdm_for(mimo: str, numerology: str = "seed") -> OFDMConfig:
    """The seed (or wifi-64) numerology with the antennas and streams of ``mimo``
    (``"2x2"``: two streams; ``"2x2x1"``: one)."""
    tx, rx, streams = parse_mimo(mimo)
    base = preset("seed-siso" if numerology == "seed" else "wifi-64")
    return replace(base, num_tx_ant=tx, num_rx_ant=rx, num_streams=streams)


@dataclass(frozen=True)
class LinkConfig:
    """Everything between the encoder and the decoder.

    :param ofdm: numerology and antennas.
    :param channel: ``awgn`` (identity per antenna), ``rayleigh`` (flat, i.i.d.
        per antenna pair and frame), ``multipath`` (torch-only exponential-PDP
        Rayleigh taps), or Sionna's ``tdl-a``..``tdl-e`` / ``cdl-a``..``cdl-e``.
    :param delay_spread_s: rms delay spread in s (multipath, TDL, CDL).
    :param carrier_frequency_hz: carrier in Hz (Sionna models).
    :param max_speed_mps: terminal speed in m/s (Sionna models; 0 = static).
    :param pa: PA model (see ``phy.pa.make_pa``); ``ibo_db`` its input back-off in dB.
    :param pa_smoothness: Rapp's p.
    :param precoding: ``identity`` or ``svd`` (transmitter knows the channel).
    :param estimator: ``ls``, ``lmmse`` or ``perfect`` (genie CSI).
    :param equalizer: ``zf`` or ``lmmse``.
    :param interleave: shuffle symbols across subcarriers, OFDM symbols and streams.
    :param clip_ratio_db: clipping-and-filtering ratio to RMS in dB, or None for none.
    :param domain: ``time`` (OFDM modulation, PA, FIR channel: realistic) or ``freq``
        (the channel applied per resource element: fast, for training; exact when the
        channel is static and shorter than the cyclic prefix; no PA).
    """

    ofdm: OFDMConfig = field(default_factory=OFDMConfig)
    channel: str = "awgn"
    delay_spread_s: float = 300e-9
    carrier_frequency_hz: float = 2.0e9
    max_speed_mps: float = 0.0
    pa: str = "none"
    ibo_db: float = 6.0
    pa_smoothness: float = 3.0
    precoding: str = "identity"
    estimator: str = "ls"
    equalizer: str = "lmmse"
    interleave: bool = True
    clip_ratio_db: float | None = None
    domain: str = "time"

    def __post_init__(self):
        choices = {"channel": LINK_CHANNELS, "pa": PA_NAMES,
                   "precoding": ("identity", "svd"), "estimator": ("ls", "lmmse", "perfect"),
                   "equalizer": ("zf", "lmmse"), "domain": ("time", "freq")}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"LinkConfig.{name}={getattr(self, name)!r}; choose one of {', '.join(allowed)}")
        if not -10.0 <= self.ibo_db <= 40.0:
            raise ValueError(f"LinkConfig.ibo_db={self.ibo_db} must be in -10..40 dB")
        if self.delay_spread_s < 0 or self.max_speed_mps < 0 or self.carrier_frequency_hz <= 0:
            raise ValueError("LinkConfig: delay_spread_s and max_speed_mps must be >= 0, carrier_frequency_hz > 0")
        if self.domain == "freq" and self.pa != "none":
            raise ValueError("LinkConfig.domain='freq' cannot model a PA (a time-domain nonlinearity): use 'time'")
        if self.precoding == "svd" and self.channel.startswith(("tdl", "cdl")) and self.max_speed_mps > 0:
            raise ValueError("LinkConfig.precoding='svd' needs a static channel (max_speed_mps=0)")


_DEFAULT = {f.name: f.default for f in fields(LinkConfig) if f.name != "ofdm"}


@dataclass(frozen=True)
class LinkOptions(MappingConfig):
    """The MIMO-OFDM link as a user names it (CLI, YAML, a training run's record): the antennas
    as text (see :func:`parse_mimo`) and :class:`LinkConfig`'s choices; validated by building one.
    The channel is named separately (a sweep runs one set of options over several channels)."""

    mimo: str = "1x1"
    precoding: str = _DEFAULT["precoding"]
    pa: str = _DEFAULT["pa"]
    ibo_db: float = _DEFAULT["ibo_db"]
    estimator: str = _DEFAULT["estimator"]
    equalizer: str = _DEFAULT["equalizer"]
    domain: str = _DEFAULT["domain"]
    clip_ratio_db: float | None = _DEFAULT["clip_ratio_db"]
    interleave: bool = _DEFAULT["interleave"]

    def __post_init__(self):
        self.link_config("awgn")

    def link_config(self, channel: str, **overrides) -> LinkConfig:
        """The full :class:`LinkConfig` for ``channel`` (seed numerology with these antennas)."""
        options = {k: v for k, v in asdict(self).items() if k != "mimo"}
        return LinkConfig(ofdm=ofdm_for(self.mimo), channel=channel, **{**options, **overrides})


class OFDMLink(nn.Module):
    """A ``channel`` for ``JSCCModel.forward``: the whole simulated MIMO-OFDM link.

    :input s: [batch, k], complex, unit average power.
    :input snr_db: [batch], real.
    :output: :class:`ChannelOutput` with ``s_hat`` [batch, k], ``snr_eff_db`` [batch],
        ``noise_var`` [batch, k] and ``tx_signal`` [batch, tx_ant, samples] (at the PA input).
    """

    def __init__(self, cfg: LinkConfig):
        super().__init__()
        self.cfg = cfg
        o = cfg.ofdm
        self.modulator = OFDMModulator(o.cp_length)
        self.demodulator = OFDMDemodulator(o.fft_size, o.cp_length)
        self.pa = make_pa(cfg.pa, cfg.ibo_db, **({"smoothness": cfg.pa_smoothness} if cfg.pa == "rapp" else {}))
        self.equalizer = Equalizer(cfg.equalizer)
        self.grids = nn.ModuleDict()  # per frame size (symbol count): registered, so .to(device) moves them
        self.register_buffer("_anchor", torch.empty(0), persistent=False)  # where new blocks are built
        self._sionna = None

    # -- per-frame-size blocks, built once per symbol count -------------------------
    def blocks(self, num_symbols: int) -> nn.ModuleDict:
        """Resource grid, mapper, demapper and estimator for frames of ``num_symbols`` symbols,
        built on the link's device the first time that size is seen."""
        key = str(int(num_symbols))
        if key not in self.grids:
            grid = ResourceGrid(self.cfg.ofdm, num_symbols, interleave=self.cfg.interleave)
            est = {"ls": LSChannelEstimator, "perfect": LSChannelEstimator}.get(self.cfg.estimator)
            estimator = est(grid) if est else LMMSEChannelEstimator(grid, self.cfg.delay_spread_s)
            self.grids[key] = nn.ModuleDict({"grid": grid, "mapper": ResourceGridMapper(grid),
                                             "demapper": ResourceGridDemapper(grid),
                                             "estimator": estimator}).to(self._anchor.device)
        return self.grids[key]

    def channel_taps(self, batch: int, num_samples: int, generator=None) -> tuple[torch.Tensor, int]:
        """(taps [B, rx, tx, L] or [B, rx, tx, n + L - 1, L], delay offset l_min <= 0). Sionna's models
        draw from a seed taken from ``generator`` (else from Sionna's own generator)."""
        o, c = self.cfg.ofdm, self.cfg
        if c.channel == "awgn":
            return flat_taps("identity", batch, o.num_rx_ant, o.num_tx_ant), 0
        if c.channel == "rayleigh":
            return flat_taps("rayleigh", batch, o.num_rx_ant, o.num_tx_ant, generator), 0
        if c.channel == "multipath":
            rms = c.delay_spread_s * o.sample_rate_hz
            num_taps = max(1, min(o.cp_length + 1, int(round(6 * rms)) + 1))
            return exponential_pdp_taps(batch, o.num_rx_ant, o.num_tx_ant, num_taps, rms, generator), 0
        if self._sionna is None:
            from phy.sionna_channel import SionnaTimeChannel

            self._sionna = SionnaTimeChannel(c.channel, o, delay_spread_s=c.delay_spread_s,
                                             carrier_frequency_hz=c.carrier_frequency_hz,
                                             max_speed_mps=c.max_speed_mps)
        seed = None if generator is None else int(torch.randint(0, 2 ** 62, (1,), generator=generator))
        return self._sionna.taps(batch, num_samples, seed=seed), self._sionna.l_min

    def forward(self, s: torch.Tensor, snr_db: torch.Tensor, generator: torch.Generator | None = None) -> ChannelOutput:
        o = self.cfg.ofdm
        batch = s.shape[0]
        snr_db = torch.as_tensor(snr_db, dtype=torch.float32, device=s.device).expand(batch)
        n0 = noise_variance(snr_db)  # [B]
        num_samples = self.num_samples(s.shape[1])
        taps, l_min = self.channel_taps(batch, num_samples, generator)
        taps = taps.to(s.device)
        h_freq = self.frequency_response(taps, l_min, num_samples // o.symbol_length)  # [B, rx, tx, T, N]
        w = self.precoder(h_freq)  # [B, T, N, tx, S]
        if self.cfg.domain == "freq":
            x_grid = self.transmit_grid(s, w)  # [B, tx, T, N]
            y_grid = torch.einsum("bratn,batn->brtn", h_freq, x_grid)
            y_grid = y_grid + complex_normal(y_grid.shape, n0[:, None, None, None], device=s.device,
                                             generator=generator)
            x_pa_in = self.modulator(x_grid)
        else:
            x_time, x_pa_in = self.transmit(s, w)
            y_time = apply_fir(x_time, taps)[..., -l_min: -l_min + num_samples]  # [B, rx, samples]
            y_time = y_time + complex_normal(y_time.shape, n0[:, None, None], device=s.device, generator=generator)
            y_grid = self.demodulator(y_time)
        h_eff = None
        if self.cfg.estimator == "perfect":
            used = torch.as_tensor(o.used_subcarriers, device=s.device)
            mask = torch.zeros(o.fft_size, dtype=torch.bool, device=s.device)
            mask[used] = True
            w_full = w if w is not None else \
                torch.eye(o.num_tx_ant, o.num_streams, dtype=torch.complex64, device=s.device).expand(
                    batch, h_freq.shape[3], o.fft_size, -1, -1)
            h_eff = torch.einsum("bratn,btnas->brstn", h_freq, w_full) / o.num_streams ** 0.5 * mask
        out = self.receive_grid(y_grid, s.shape[1], n0, h_eff=h_eff)
        out.tx_signal = x_pa_in
        return out

    def num_samples(self, num_symbols: int) -> int:
        """Time samples of the frame body carrying ``num_symbols`` symbols."""
        return self.blocks(num_symbols)["grid"].num_ofdm_symbols * self.cfg.ofdm.symbol_length

    def transmit(self, s: torch.Tensor, precoder: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Transmitter half: symbols -> (PA output, PA input), each [B, tx, samples].

        :input s: [B, k] complex, unit power. :input precoder: [B, T, N, tx, S] or None (identity).
        """
        x_pa_in = self.modulator(self.transmit_grid(s, precoder))
        return self.pa(x_pa_in), x_pa_in

    def transmit_grid(self, s: torch.Tensor, precoder: torch.Tensor | None = None) -> torch.Tensor:
        """Symbols -> precoded (and clipped) grid [B, tx, T, N], total power 1 per used RE."""
        o, c = self.cfg.ofdm, self.cfg
        x_streams = self.blocks(s.shape[1])["mapper"](s)  # [B, S, T, N]
        if precoder is None:
            eye = torch.eye(o.num_tx_ant, o.num_streams, dtype=torch.complex64, device=s.device)
            x_grid = torch.einsum("as,bstn->batn", eye, x_streams)
        else:
            x_grid = torch.einsum("btnas,bstn->batn", precoder, x_streams)
        x_grid = x_grid / o.num_streams ** 0.5  # total power 1 per used RE
        if c.clip_ratio_db is not None:
            x_grid = clip_and_filter(x_grid, o.fft_size, torch.as_tensor(o.used_subcarriers), c.clip_ratio_db)
        return x_grid

    def receive(self, y_time: torch.Tensor, num_symbols: int, n0, h_eff: torch.Tensor | None = None) -> ChannelOutput:
        """Receiver half: time samples [B, rx, samples] -> equalised symbols.

        :input n0: noise variance per RE ([B] or scalar, or [B, N] per subcarrier), e.g. from
            :meth:`body_noise_var`.
        :input h_eff: genie channel [B, rx, S, T, N]; None estimates it from the pilots.
        """
        return self.receive_grid(self.demodulator(y_time), num_symbols, n0, h_eff)

    def body_noise_var(self, y_time: torch.Tensor, num_symbols: int) -> torch.Tensor:
        """Noise (plus interference) variance per RE and subcarrier [B, N] measured over the body of
        time samples [B, rx, samples] (see :func:`phy.ofdm.estimation.body_noise_variance`)."""
        return body_noise_variance(self.demodulator(y_time), self.blocks(num_symbols)["grid"])

    def receive_grid(self, y_grid: torch.Tensor, num_symbols: int, n0, h_eff: torch.Tensor | None = None) \
            -> ChannelOutput:
        """Receiver after the FFT: grid [B, rx, T, N] -> equalised symbols."""
        b = self.blocks(num_symbols)
        n0 = torch.as_tensor(n0, dtype=torch.float32, device=y_grid.device)
        n0 = n0 if n0.dim() == 2 else n0.expand(y_grid.shape[0])  # [B, N] or [B]
        err = None
        if h_eff is None:
            h_eff, err = b["estimator"](y_grid, n0 if n0.dim() == 1 else n0[:, self.cfg.ofdm.used_subcarriers].mean(1))
        x_hat, var = self.equalizer(y_grid, h_eff, n0, err)  # [B, S, T, N] each
        s_hat = b["demapper"](x_hat)
        noise_var = b["demapper"](var).clamp(1e-6, 1e3)
        snr_eff_db = -10.0 * torch.log10(noise_var.mean(dim=1))
        return ChannelOutput(s_hat=s_hat, snr_eff_db=snr_eff_db, noise_var=noise_var)

    def frequency_response(self, taps: torch.Tensor, l_min: int, num_ofdm_symbols: int) -> torch.Tensor:
        """Per-RE channel [B, rx, tx, T, N] (static taps; time-varying taps are read at each
        OFDM symbol's first sample)."""
        o = self.cfg.ofdm
        if taps.dim() == 5:
            starts = torch.arange(num_ofdm_symbols) * o.symbol_length + o.cp_length
            taps_t = taps[:, :, :, starts]  # [B, rx, tx, T, L]
            return frequency_response(taps_t, o.fft_size, delay_offset=-l_min)
        h = frequency_response(taps, o.fft_size, delay_offset=-l_min)  # [B, rx, tx, N]
        return h[:, :, :, None, :].expand(-1, -1, -1, num_ofdm_symbols, -1)

    def precoder(self, h_freq: torch.Tensor) -> torch.Tensor | None:
        """Precoding matrices W [B, T, N, tx, S] with unit-norm columns, or None for identity."""
        o = self.cfg.ofdm
        if self.cfg.precoding == "identity":
            return None
        h = h_freq.permute(0, 3, 4, 1, 2)  # [B, T, N, rx, tx]
        _, _, vh = torch.linalg.svd(h, full_matrices=False)
        w = vh.mH[..., : o.num_streams]  # [B, T, N, tx, S]
        # Singular vectors come with an arbitrary phase per RE. Rotate each column to
        # continue its neighbour's phase across subcarriers, so that the precoded channel
        # stays smooth and the pilots' interpolation still applies.
        step = (w[:, :, :-1].conj() * w[:, :, 1:]).sum(dim=-2, keepdim=True)  # [B, T, N-1, 1, S]
        phase = torch.cumsum(torch.angle(step), dim=2)
        phase = torch.cat([torch.zeros_like(phase[:, :, :1]), phase], dim=2)
        return w * torch.polar(torch.ones_like(phase), -phase)

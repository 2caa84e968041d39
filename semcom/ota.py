"""Over the air: one image as a semantic (JSCC) frame and as a digital-baseline
frame, through any :class:`radio.Radio`, received, synchronised and decoded.

Framing is the PHY's (:mod:`phy.framing`: preamble, header, body, gap; frame
search, CFO, header check, level normalisation, streams across reads). This
module attaches a model: it encodes the body, names the model in the header
(a 32-bit id of its weights, see :func:`semcom.zoo.model_id`), refuses frames
for other weights, and decodes the body with the same OFDM receiver as the
simulated link (pilot estimation, equalisation) and the model's decoder, told
the SNR the equaliser measured, limited to the SNR the encoder was conditioned
on (the header carries it) and to the range the model was trained on.

An image larger than ``max_frame_pixels`` (a photograph) goes as horizontal strips of whole rows, one
frame each (consecutive sequence numbers), and is put back together from them; a strip that is not
received loses the image. Each strip of the digital baseline is one transport block at the MCS chosen
from the first semantic strip's SNR estimate.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from phy.digital import MCS_MIN_SNR_DB
from phy.frame import FrameHeader, snr_code
from phy.framing import FrameReceiver, FrameStream, RxFrame, assemble_frame
from phy.ofdm import OFDMConfig, preset
from phy.timing import estimate_sco, retime

from .data import to_tensor, to_uint8
from .exchange import MAX_FRAME_PIXELS, Replay, exchange, join_strips, strips
from .link import LinkConfig, OFDMLink
from .models.base import JSCCModel
from .zoo import model_id, name_for_id
from .runtime import Codec, TorchCodec

SNR_WARN_MARGIN_DB = 10.0  # an SNR estimate this far outside the model's trained range is reported
# Link adaptation for "<codec>-ldpc" baselines: the highest MCS whose measured AWGN requirement
# (5G transport block, BLER <= 10 %, phy/data/mcs_thresholds_awgn.csv) plus MCS_MARGIN_DB the
# estimated SNR meets; the margin covers pilot-based estimation, phase noise and IQ imbalance.
MCS_MARGIN_DB = 3.0


@dataclass
class Reception:
    """What the receiver made of one capture.

    :param detected: a preamble was found.
    :param header_ok: its header passed the CRC.
    :param cfo_hz / snr_est_db: preamble estimates (None when not detected); ``snr_est_db`` is
        the estimate as measured, not limited to the model's range.
    :param snr_decoder_db: the SNR the decoder was told (see :meth:`Transceiver.decoder_snr`), or None.
    :param image: decoded uint8 [H, W, 3], or None.
    :param error: why decoding stopped, when it did.
    :param warning: a caution about a decoded image (e.g. an SNR far outside the trained range).
    :param sco_ppm: the sampling-clock offset estimated on the body's pilots, in ppm.
    :param frame_end: the first sample after the frame (with ``frame_start``: in the capture).
    :param fault_kinds: kinds of the radio's stream events that touched the frame (see :func:`run_ota`).
    """

    detected: bool
    header_ok: bool = False
    truncated: bool = False
    frame_start: int | None = None
    cfo_hz: float | None = None
    snr_est_db: float | None = None
    header: FrameHeader | None = None
    image: np.ndarray | None = None
    error: str | None = None
    snr_decoder_db: float | None = None
    warning: str | None = None
    frame_end: int | None = None
    sco_ppm: float | None = None
    fault_kinds: list = field(default_factory=list)


@dataclass
class SemanticBatch:
    """Semantic frames of one image size, equalised, waiting for the JSCC decoder.

    :param image_size: (height, width). :param receptions: one per frame, in order.
    :param symbols: [B, k] complex, what the decoder takes. :param snr_db: [B], the SNR it is told.
    """

    image_size: tuple[int, int]
    receptions: list[Reception]
    symbols: torch.Tensor
    snr_db: torch.Tensor


@dataclass
class Equalised:
    """What :meth:`Transceiver.equalise` made of a list of frames: every reception in order (digital
    ones done) and the semantic batches :meth:`Transceiver.finish` decodes into them."""

    receptions: list[Reception]
    batches: list[SemanticBatch]


def ofdm_for_radio(num_tx: int, num_rx: int, sample_rate_sps: float) -> OFDMConfig:
    """The seed numerology (128-point FFT, 72 used subcarriers) at the radio's sample rate."""
    base = preset("seed-siso")
    return replace(base, subcarrier_spacing_hz=sample_rate_sps / base.fft_size, num_tx_ant=num_tx, num_rx_ant=num_rx,
                   num_streams=min(num_tx, num_rx))


class Transceiver:
    """Builds and receives frames for one model on one numerology.

    :param model: the JSCC model.
    :param model_name: its zoo name or checkpoint path; the header carries the id of its weights.
    :param ofdm: numerology and antennas (see :func:`ofdm_for_radio`).
    :param tx_snr_db: the SNR the encoder is told (the transmitter does not know the channel).
    :param codec: what runs the receiver's decoder (:func:`semcom.runtime.make_codec`; default torch).
    :param track_sco: estimate each body's sampling-clock offset from its pilots and remove it
        (:mod:`phy.timing`); a drift under 0.05 samples over the body is left alone.
    """

    def __init__(self, model: JSCCModel, model_name: str, ofdm: OFDMConfig, tx_snr_db: float = 10.0,
                 estimator: str = "lmmse", equalizer: str = "lmmse", codec: Codec | None = None,
                 track_sco: bool = True):
        self.model, self.model_name, self.ofdm = model.eval(), model_name, ofdm
        self.model_id = model_id(model_name, model)
        self.codec = codec if codec is not None else TorchCodec(self.model)
        self.tx_snr_db = float(tx_snr_db)
        self.track_sco = track_sco
        self.link = OFDMLink(LinkConfig(ofdm=ofdm, channel="awgn", estimator=estimator, equalizer=equalizer))
        self.receiver = FrameReceiver(ofdm, lambda h: self.link.num_samples(h.num_symbols), self._refusal)
        self.preamble = self.receiver.preamble
        self.fs = ofdm.sample_rate_hz

    # -- transmitter ------------------------------------------------------------------
    @torch.no_grad()
    def jscc_frame(self, image: np.ndarray, seq: int) -> tuple[np.ndarray, FrameHeader]:
        """A semantic frame for one uint8 [H, W, 3] image."""
        x = to_tensor(image)
        s = self.model.encode(x, self.tx_snr_db)
        body, _ = self.link.transmit(s)
        r = self.model.ratio
        header = FrameHeader(scheme=0, model_id=self.model_id, ratio_num=r.numerator,
                             ratio_den=r.denominator, height=image.shape[0], width=image.shape[1],
                             num_symbols=s.shape[1], seq=seq % 65536, tx_snr=snr_code(self.tx_snr_db))
        return assemble_frame(self.preamble, header, body[0], self.ofdm), header

    @torch.no_grad()
    def digital_frame(self, image: np.ndarray, seq: int, baseline) -> tuple[np.ndarray, FrameHeader]:
        """A digital-baseline frame (``baseline``: a :class:`semcom.baseline.DigitalBaseline`)."""
        s, _, _ = baseline.encode(image[None])
        body, _ = self.link.transmit(s)
        header = FrameHeader(scheme=1, model_id=0, ratio_num=self.model.ratio.numerator,
                             ratio_den=self.model.ratio.denominator, height=image.shape[0], width=image.shape[1],
                             num_symbols=s.shape[1], seq=seq % 65536, mcs=mcs_index(baseline.phy.name))
        return assemble_frame(self.preamble, header, body[0], self.ofdm), header

    # -- receiver ---------------------------------------------------------------------
    @torch.no_grad()
    def receive(self, capture: np.ndarray, baseline=None, scheme: int | None = None,
                max_frames: int = 4) -> Reception:
        """Find, check and decode the first frame in ``capture`` ([rx, n] or [n]), skipping frames
        whose header names another ``scheme`` (0 semantic, 1 digital); never raises on bad IQ."""
        rec = Reception(detected=False, error="no frame detected")
        for i, frame in enumerate(self.receiver.frames(capture)):
            if i >= max_frames:
                break
            if scheme is None or frame.header is None or frame.header.scheme == scheme:
                return self.decode([frame], baseline)[0]
            rec = Reception(detected=False, error="no frame of the expected kind detected")
        return rec

    @torch.no_grad()
    def receive_all(self, capture: np.ndarray, baseline=None) -> list[Reception]:
        """Every frame in ``capture`` ([rx, n] or [n]), in order, in one pass to its end.

        Semantic frames of one image size are demodulated and decoded as one batch.
        A frame cut by the end of the capture comes last, with ``truncated=True`` and
        ``frame_start`` where it begins: a streaming caller keeps the samples from there
        (or uses :meth:`stream`). Never raises on bad IQ; an unusable capture gives ``[]``.
        """
        return self.decode(list(self.receiver.frames(capture)), baseline)

    def stream(self) -> FrameStream:
        """A :class:`phy.framing.FrameStream` for consecutive reads; decode its frames with :meth:`decode`."""
        return FrameStream(self.receiver)

    @torch.no_grad()
    def decode(self, frames: list[RxFrame], baseline=None) -> list[Reception]:
        """Receptions of ``frames`` (from :class:`phy.framing.FrameReceiver`), decoding the bodies:
        semantic ones batched per image size, digital ones with ``baseline``
        (:meth:`equalise`, then :meth:`finish`)."""
        return self.finish(self.equalise(frames, baseline))

    @torch.no_grad()
    def equalise(self, frames: list[RxFrame], baseline=None) -> Equalised:
        """The receiver up to the JSCC decoder: receptions of ``frames``, digital bodies decoded with
        ``baseline``, semantic bodies demodulated, estimated and equalised per image size (one batch each)."""
        received = [self._reception(f) for f in frames]
        groups: dict[tuple, list] = {}
        for rec, frame in zip(received, frames):
            if frame.body is None:
                continue
            if rec.header.scheme == 0:
                groups.setdefault((rec.header.height, rec.header.width), []).append((rec, frame))
            elif baseline is None:
                rec.error = "digital frame received but no baseline decoder configured"
            else:
                body = self._retimed([frame], [rec], rec.header.num_symbols)
                out = self.link.receive(body, rec.header.num_symbols, n0=max(frame.noise_var, 1e-12))
                images, _, failures = baseline.decode(out.s_hat, out.noise_var, rec.header.height, rec.header.width)
                rec.image = images[0]
                rec.error = "baseline frame failed its CRC: fallback image" if failures else None
        batches = []
        for size, group in groups.items():
            num_symbols = group[0][0].header.num_symbols
            bodies = self._retimed([f for _, f in group], [r for r, _ in group], num_symbols)  # [B, rx, samples]
            # noise per RE and subcarrier measured over the body itself (interference may hit the
            # preamble or the body alone, or a few subcarriers)
            n0 = self.link.body_noise_var(bodies, num_symbols).clamp_min(1e-12)  # [B, N]
            out = self.link.receive(bodies, num_symbols, n0=n0)
            snr = self.decoder_snr(out.snr_eff_db, torch.tensor([f.header.tx_snr_db for _, f in group]))
            batches.append(SemanticBatch(size, [r for r, _ in group], out.decoder_symbols, snr))
        return Equalised(received, batches)

    @torch.no_grad()
    def finish(self, equalised: Equalised) -> list[Reception]:
        """The JSCC decoder on :meth:`equalise`'s semantic batches: the receptions, with their images."""
        for batch in equalised.batches:
            images = to_uint8(self.codec.decode(batch.symbols, batch.snr_db, batch.image_size))
            for rec, image, told in zip(batch.receptions, images, batch.snr_db.tolist()):
                rec.image, rec.snr_decoder_db = image, round(told, 3)
                rec.warning = self._snr_warning(rec.snr_est_db, told)
        return equalised.receptions

    def _retimed(self, frames: list[RxFrame], receptions: list[Reception], num_symbols: int) -> torch.Tensor:
        """The frames' bodies [B, rx, samples], with their sampling-clock offsets removed (noted in
        the receptions' ``sco_ppm``) when ``track_sco``."""
        bodies = torch.stack([f.body for f in frames])
        if not self.track_sco:
            return bodies
        tails = torch.stack([f.tail for f in frames])
        eps = estimate_sco(self.link.demodulator(bodies), self.link.blocks(num_symbols)["grid"])
        for rec, e in zip(receptions, eps.tolist()):
            rec.sco_ppm = round(e * 1e6, 2)
        return retime(bodies, tails, eps)

    def decoder_snr(self, snr_eff_db: torch.Tensor, tx_snr_db: torch.Tensor) -> torch.Tensor:
        """The SNR [B] the decoder is told: the equaliser's, never above what the encoder was
        conditioned on (the two halves were trained with one SNR; a better channel than the encoder
        prepared for decodes best as that SNR) and within the model's trained range."""
        lo, hi = self.model.snr_range_db
        return torch.minimum(snr_eff_db, tx_snr_db.to(snr_eff_db)).clamp(lo, hi)

    def _reception(self, frame: RxFrame) -> Reception:
        det = frame.detection
        return Reception(detected=True, header_ok=frame.header is not None, truncated=frame.truncated,
                         frame_start=frame.frame_start, frame_end=frame.end, cfo_hz=det.cfo_hz, snr_est_db=det.snr_db,
                         header=frame.header, error=frame.error)

    def _snr_warning(self, snr_db: float, told_db: float) -> str | None:
        lo, hi = self.model.snr_range_db
        if lo - SNR_WARN_MARGIN_DB <= snr_db <= hi + SNR_WARN_MARGIN_DB:
            return None
        return (f"estimated SNR {snr_db:.1f} dB is far outside the {lo:g}..{hi:g} dB the model "
                f"{self.model_name!r} was trained on: decoded as at {told_db:.1f} dB")

    def _refusal(self, header: FrameHeader) -> str | None:
        """Why this receiver's model cannot decode a frame's body, or None."""
        if header.scheme != 0:
            return None
        ratio = (self.model.ratio.numerator, self.model.ratio.denominator)
        if (header.ratio_num, header.ratio_den) != ratio or \
                header.num_symbols != self.model.num_symbols(header.height, header.width):
            return (f"frame is for ratio {header.ratio_num}/{header.ratio_den}, "
                    f"the receiver's model uses {ratio[0]}/{ratio[1]}")
        if header.model_id != self.model_id:
            name = name_for_id(header.model_id)
            sender = f"model {name!r}" if name else "another model"
            return (f"frame is for {sender} (weights id {header.model_id:08x}), not {self.model_name!r} "
                    f"(id {self.model_id:08x}): receive with the sender's --model")
        return None


def re_snr_db(frame: np.ndarray, sample_snr_db: float, start: int, stop: int, ofdm: OFDMConfig) -> float:
    """Es/N0 per used resource element (the project's SNR) of ``frame[..., start:stop]`` when a radio
    adds noise at the sample SNR ``sample_snr_db`` relative to the frame's mean power (the sim
    radio's ``snr_db`` for a frame sent as its buffer): ``sample SNR + 10 log10(N / U) + 10 log10(P_part / P_mean)``.

    :input frame: [tx, n] complex, as built by :class:`Transceiver`."""
    from radio.sim import buffer_power

    part = float(np.mean(np.abs(frame[:, start:stop]) ** 2))
    return float(sample_snr_db + 10 * np.log10(ofdm.fft_size / ofdm.num_used_subcarriers)
                 + 10 * np.log10(part / buffer_power(frame)))


def mcs_index(name: str) -> int:
    names = [m for m, _ in MCS_MIN_SNR_DB]
    return names.index(name) if name in names else 255


def choose_mcs(snr_db: float | None) -> str:
    """Link adaptation: the highest MCS whose requirement + margin the SNR meets (lowest if unknown)."""
    best = MCS_MIN_SNR_DB[0][0]
    for name, need in MCS_MIN_SNR_DB:
        if snr_db is not None and math.isfinite(snr_db) and snr_db >= need + MCS_MARGIN_DB:
            best = name
    return best


def run_ota(radio, transceiver: Transceiver, image: np.ndarray, frames: int = 1, baseline: str | None = None,
            on_frame=None, duration_s: float | None = None, interval_s: float = 0.0,
            max_frame_pixels: int = MAX_FRAME_PIXELS) -> list[dict]:
    """Send ``frames`` semantic frames (and baseline frames) of ``image`` through ``radio``; an image
    over ``max_frame_pixels`` goes as several frames (:func:`strips`), and a row is one whole image.

    Each frame is sent as a cyclic buffer and captured back (twice its length, so one whole frame
    is inside whatever the start). A recording (a radio with ``samples_left``, e.g. ``FileRadio``)
    is read instead from start to end in reads of that length, with an overlap across reads: each
    row is the next frame found in it, and the run stops where the recording ends. One dict a frame:
    ``{"seq", "detected", "header_ok", "cfo_hz", "snr_est_db", "sco_ppm", "snr_decoder_db", "psnr_db", "ssim",
    "baseline_psnr_db", "baseline_scheme", "error", "warning", "fault", "fault_kinds", "latency_s"}``;
    ``fault_kinds`` names the radio's stream events (injected faults, driver overflows) that touched
    the frame: a decoded frame's own samples, or for a lost frame every capture of its exchange.
    ``latency_s``: wall time from building the frame to its image. ``on_frame(row, received_images)``
    is called after each; ``duration_s`` stops after that many seconds, ``interval_s`` paces frames.
    """
    from .metrics import psnr, ssim

    rows = []
    reference = to_tensor(image)
    replay = Replay(radio, transceiver) if getattr(radio, "samples_left", None) is not None else None
    deadline = None if duration_s is None else time.monotonic() + float(duration_s)
    parts = strips(*image.shape[:2], max_frame_pixels)
    for seq in range(frames):
        if deadline is not None and time.monotonic() >= deadline:
            break
        if seq and interval_s > 0:
            time.sleep(interval_s)
        t0 = time.monotonic()
        rec = join_strips([exchange(radio, transceiver, transceiver.jscc_frame(image[rs], seq * len(parts) + j)[0],
                               label=f"semantic frame {seq}" + (f" part {j}" if len(parts) > 1 else ""),
                               replay=replay) for j, rs in enumerate(parts)])
        if replay is not None and seq > 0 and not rec.detected:
            break  # the recording holds no further frame
        row = {"seq": seq, "detected": rec.detected, "header_ok": rec.header_ok, "cfo_hz": rec.cfo_hz,
               "snr_est_db": rec.snr_est_db, "sco_ppm": rec.sco_ppm, "snr_decoder_db": rec.snr_decoder_db,
               "psnr_db": None, "ssim": None, "baseline_psnr_db": None, "baseline_scheme": None, "error": rec.error,
               "warning": rec.warning}
        kinds = set(rec.fault_kinds)
        received = {"semantic": rec.image}
        if rec.image is not None and rec.image.shape == image.shape:
            x_hat = to_tensor(rec.image)
            row["psnr_db"] = round(float(psnr(x_hat, reference)), 3)
            row["ssim"] = round(float(ssim(x_hat, reference)), 4)
        if baseline:
            brecs = []
            for j, rs in enumerate(parts):
                scheme, base = _baseline_for(baseline, rec.snr_est_db,
                                             transceiver.model.num_symbols(*image[rs].shape[:2]))
                frame, _ = transceiver.digital_frame(image[rs], seq * len(parts) + j, base)
                brecs.append(exchange(radio, transceiver, frame, base, label=f"{scheme} frame {seq}", replay=replay))
            brec = join_strips(brecs)
            kinds |= set(brec.fault_kinds)
            row["baseline_scheme"] = scheme
            received["baseline"] = brec.image
            if brec.image is not None and brec.image.shape == image.shape:
                row["baseline_psnr_db"] = round(float(psnr(to_tensor(brec.image), reference).clamp_max(100)), 3)
            if brec.error and not row["error"]:
                row["error"] = f"baseline: {brec.error}"
        row.update(fault=bool(kinds), fault_kinds=sorted(kinds), latency_s=round(time.monotonic() - t0, 4))
        rows.append(row)
        if on_frame is not None:
            on_frame(row, received)
        if replay is not None and replay.exhausted:
            break
    return rows


def _baseline_for(name: str, snr_db: float | None, num_symbols: int):
    from .baseline import DigitalBaseline, parse_scheme

    if name.endswith("-ldpc"):
        codec, mcs = name[:-5], choose_mcs(snr_db)
        scheme = f"{codec}+{mcs}"
    else:
        scheme = name
    codec, rate, modulation = parse_scheme(scheme)
    if rate is None:
        raise ValueError(f"--baseline {name!r}: over the air the baseline must be coded (e.g. heic-ldpc)")
    return scheme, DigitalBaseline(codec, num_symbols, modulation, rate)

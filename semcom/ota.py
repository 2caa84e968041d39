"""Over the air: one image as a semantic (JSCC) frame and as a digital-baseline
frame, through any :class:`radio.Radio`, received, synchronised and decoded.

Frame: ``[STF + LTF][header][body: OFDM slots with pilots][gap]`` (see
``phy.frame``). Preamble and header go out on the first antenna, the body on
all of them. The receiver finds the preamble, removes the carrier offset,
decodes the header (CRC-checked), then runs the same OFDM receiver as the
simulated link (pilot estimation, equalisation) and the model's decoder, told
the SNR the equaliser measured.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import torch

from phy.frame import FrameError, FrameHeader, decode_header, header_length, header_waveform, ltf_channel
from phy.ofdm import OFDMConfig, preset
from phy.sync import FrameSearch, Preamble, correct_cfo

from .data import to_tensor, to_uint8
from .link import LinkConfig, OFDMLink
from .models.base import JSCCModel
from .runtime import Codec, TorchCodec

MODEL_IDS = {"cnn": 1, "vit": 2}  # 0: a model given by path
PEAK_AMPLITUDE = 0.7  # of the radio's full scale
GAP_SYMBOLS = 4  # silent OFDM symbols after each frame
# Link adaptation for "<codec>-ldpc" baselines: the highest MCS whose approximate AWGN
# requirement (5G LDPC, about 10 % BLER, perfect CSI) plus MCS_MARGIN_DB the estimated SNR meets;
# the margin covers pilot-based estimation, phase noise and IQ imbalance.
MCS_MARGIN_DB = 3.0
MCS_MIN_SNR_DB = (("ldpc1/3-qpsk", -1.0), ("ldpc1/2-qpsk", 1.5), ("ldpc3/4-qpsk", 4.5), ("ldpc1/2-16qam", 7.0),
                  ("ldpc3/4-16qam", 10.5), ("ldpc2/3-64qam", 13.5), ("ldpc5/6-64qam", 17.0),
                  ("ldpc3/4-256qam", 20.0), ("ldpc5/6-256qam", 23.0))


@dataclass
class Reception:
    """What the receiver made of one capture.

    :param detected: a preamble was found.
    :param header_ok: its header passed the CRC.
    :param cfo_hz / snr_est_db: preamble estimates (None when not detected).
    :param image: decoded uint8 [H, W, 3], or None.
    :param error: why decoding stopped, when it did.
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


def ofdm_for_radio(num_tx: int, num_rx: int, sample_rate_sps: float) -> OFDMConfig:
    """The seed numerology (128-point FFT, 72 used subcarriers) at the radio's sample rate."""
    base = preset("seed-siso")
    return replace(base, subcarrier_spacing_hz=sample_rate_sps / base.fft_size, num_tx_ant=num_tx, num_rx_ant=num_rx,
                   num_streams=min(num_tx, num_rx))


class Transceiver:
    """Builds and receives frames for one model on one numerology.

    :param model: the JSCC model; ``model_name`` goes into the header.
    :param ofdm: numerology and antennas (see :func:`ofdm_for_radio`).
    :param tx_snr_db: the SNR the encoder is told (the transmitter does not know the channel).
    :param codec: what runs the receiver's decoder (:func:`semcom.runtime.make_codec`; default torch).
    """

    def __init__(self, model: JSCCModel, model_name: str, ofdm: OFDMConfig, tx_snr_db: float = 10.0,
                 estimator: str = "lmmse", equalizer: str = "lmmse", codec: Codec | None = None):
        self.model, self.model_name, self.ofdm = model.eval(), model_name, ofdm
        self.codec = codec if codec is not None else TorchCodec(self.model)
        self.tx_snr_db = float(tx_snr_db)
        self.link = OFDMLink(LinkConfig(ofdm=ofdm, channel="awgn", estimator=estimator, equalizer=equalizer))
        self.preamble = Preamble(ofdm)
        self.fs = ofdm.sample_rate_hz

    # -- transmitter ------------------------------------------------------------------
    def _assemble(self, header: FrameHeader, body: torch.Tensor) -> np.ndarray:
        """[tx, n] complex64 frame scaled so that its peak is PEAK_AMPLITUDE."""
        first = torch.cat([self.preamble.samples, header_waveform(header, self.ofdm)])
        lead = torch.zeros(self.ofdm.num_tx_ant, len(first), dtype=torch.complex64)
        lead[0] = first
        gap = torch.zeros(self.ofdm.num_tx_ant, GAP_SYMBOLS * self.ofdm.symbol_length, dtype=torch.complex64)
        frame = torch.cat([lead, body, gap], dim=-1)
        return (frame * (PEAK_AMPLITUDE / frame.abs().max())).numpy()

    @torch.no_grad()
    def jscc_frame(self, image: np.ndarray, seq: int) -> tuple[np.ndarray, FrameHeader]:
        """A semantic frame for one uint8 [H, W, 3] image."""
        x = to_tensor(image)
        s = self.model.encode(x, self.tx_snr_db)
        body, _ = self.link.transmit(s)
        r = self.model.ratio
        header = FrameHeader(scheme=0, model_id=MODEL_IDS.get(self.model_name, 0), ratio_num=r.numerator,
                             ratio_den=r.denominator, height=image.shape[0], width=image.shape[1],
                             num_symbols=s.shape[1], seq=seq % 65536)
        return self._assemble(header, body[0]), header

    @torch.no_grad()
    def digital_frame(self, image: np.ndarray, seq: int, baseline) -> tuple[np.ndarray, FrameHeader]:
        """A digital-baseline frame (``baseline``: a :class:`semcom.baseline.DigitalBaseline`)."""
        s, _, _ = baseline.encode(image[None])
        body, _ = self.link.transmit(s)
        header = FrameHeader(scheme=1, model_id=0, ratio_num=self.model.ratio.numerator,
                             ratio_den=self.model.ratio.denominator, height=image.shape[0], width=image.shape[1],
                             num_symbols=s.shape[1], seq=seq % 65536, mcs=mcs_index(baseline.phy.name))
        return self._assemble(header, body[0]), header

    # -- receiver ---------------------------------------------------------------------
    @torch.no_grad()
    def receive(self, capture: np.ndarray, baseline=None, scheme: int | None = None,
                max_frames: int = 4) -> Reception:
        """Find, check and decode the first frame in ``capture`` ([rx, n] or [n]), skipping frames
        whose header names another ``scheme`` (0 semantic, 1 digital); never raises on bad IQ."""
        search = FrameSearch(capture, self.preamble, self.fs)
        rec = Reception(detected=False, error="no frame detected")
        y, pos = search.samples, 0
        for _ in range(max_frames if y is not None else 0):
            det = search.find(pos)
            if det is None:
                return rec
            rec, body = self._front_end(y, det)
            if scheme is None or rec.header is None or rec.header.scheme == scheme:
                self._decode([(rec, body, det)] if body is not None else [], baseline)
                return rec
            pos = det.start + header_length(self.ofdm)  # a frame of the other kind: look further
            rec = Reception(detected=False, error="no frame of the expected kind detected")
        return rec

    @torch.no_grad()
    def receive_all(self, capture: np.ndarray, baseline=None) -> list[Reception]:
        """Every frame in ``capture`` ([rx, n] or [n]), in order, in one pass.

        Semantic frames of one image size are demodulated and decoded as one batch.
        A frame cut by the end of the capture comes last, with ``truncated=True`` and
        ``frame_start`` where it begins: a streaming caller keeps the samples from there.
        Never raises on bad IQ; an unusable capture gives ``[]``.
        """
        search = FrameSearch(capture, self.preamble, self.fs)
        y, pos = search.samples, 0
        received, pending = [], []
        while y is not None:
            det = search.find(pos)
            if det is None:
                break
            rec, body = self._front_end(y, det)
            received.append(rec)
            if rec.truncated:
                break
            pos = det.start + header_length(self.ofdm) + (body.shape[-1] if body is not None else 0)
            if body is not None:
                pending.append((rec, body, det))
        self._decode(pending, baseline)
        return received

    def _front_end(self, y: torch.Tensor, det) -> tuple[Reception, torch.Tensor | None]:
        """Header and body of the frame ``det`` found in ``y`` [rx, n]: (reception, CFO-corrected
        body [rx, samples] or None when the frame stops at its header)."""
        rec = Reception(detected=True, cfo_hz=det.cfo_hz, snr_est_db=det.snr_db, frame_start=det.preamble_start)
        ltf_start = det.start - 2 * self.ofdm.fft_size
        body_start = det.start + header_length(self.ofdm)
        front = correct_cfo(y[:, ltf_start:body_start], det.cfo_hz, self.fs, first_index=ltf_start)
        try:
            header = decode_header(front, det.start - ltf_start, ltf_channel(front, 0, self.preamble), self.ofdm)
        except FrameError as exc:
            rec.error = f"header: {exc}"
            rec.truncated = "ends inside" in str(exc)
            return rec, None
        rec.header_ok, rec.header = True, header
        if header.scheme == 0:
            rec.error = self._refusal(header)
            if rec.error:
                return rec, None
        length = self.link.num_samples(header.num_symbols)
        body = y[:, body_start:body_start + length]
        if body.shape[-1] < length:
            rec.error = "capture ends inside the frame body"
            rec.truncated = True
            return rec, None
        return rec, correct_cfo(body, det.cfo_hz, self.fs, first_index=body_start)

    def _refusal(self, header: FrameHeader) -> str | None:
        """Why this receiver's model cannot decode a semantic frame, or None."""
        mine = MODEL_IDS.get(self.model_name, 0)
        ratio = (self.model.ratio.numerator, self.model.ratio.denominator)
        if (header.ratio_num, header.ratio_den) != ratio or \
                header.num_symbols != self.model.num_symbols(header.height, header.width):
            return (f"frame is for ratio {header.ratio_num}/{header.ratio_den}, "
                    f"the receiver's model uses {ratio[0]}/{ratio[1]}")
        if header.model_id and mine and header.model_id != mine:
            names = {v: k for k, v in MODEL_IDS.items()}
            return f"frame is for model {names.get(header.model_id, header.model_id)!r}, not {self.model_name!r}"
        return None

    def _decode(self, pending: list, baseline) -> None:
        """Equalise and decode frames [(reception, body, detection)], semantic ones batched per image size."""
        groups: dict[tuple, list] = {}
        for rec, body, det in pending:
            n0 = max(det.noise_var, 1e-12)
            if rec.header.scheme == 0:
                groups.setdefault((rec.header.height, rec.header.width), []).append((rec, body, n0))
            elif baseline is None:
                rec.error = "digital frame received but no baseline decoder configured"
            else:
                out = self.link.receive(body[None], rec.header.num_symbols, n0=n0)
                images, _, failures = baseline.decode(out.s_hat, out.noise_var, rec.header.height, rec.header.width)
                rec.image = images[0]
                rec.error = "baseline frame failed its CRC: fallback image" if failures else None
        for (height, width), frames in groups.items():
            bodies = torch.stack([body for _, body, _ in frames])  # [B, rx, samples]
            n0 = torch.tensor([n0 for _, _, n0 in frames])
            out = self.link.receive(bodies, frames[0][0].header.num_symbols, n0=n0)
            images = to_uint8(self.codec.decode(out.decoder_symbols, out.snr_eff_db, (height, width)))
            for (rec, _, _), image in zip(frames, images):
                rec.image = image


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
            on_frame=None) -> list[dict]:
    """Send ``frames`` semantic frames (and baseline frames) of ``image`` through ``radio``.

    Each frame is sent as a cyclic buffer and captured back (twice its length, so
    one whole frame is inside whatever the start). Returns one dict per frame:
    ``{"seq", "detected", "cfo_hz", "snr_est_db", "psnr_db", "ssim", "baseline_psnr_db",
    "baseline_scheme", "error"}``; ``on_frame(row, received_images)`` is called after each.
    """
    from .metrics import psnr, ssim

    rows = []
    reference = to_tensor(image)
    for seq in range(frames):
        frame, _ = transceiver.jscc_frame(image, seq)
        rec = _exchange(radio, transceiver, frame, label=f"semantic frame {seq}")
        row = {"seq": seq, "detected": rec.detected, "cfo_hz": rec.cfo_hz, "snr_est_db": rec.snr_est_db,
               "psnr_db": None, "ssim": None, "baseline_psnr_db": None, "baseline_scheme": None, "error": rec.error}
        received = {"semantic": rec.image}
        if rec.image is not None:
            x_hat = to_tensor(rec.image)
            row["psnr_db"] = round(float(psnr(x_hat, reference)), 3)
            row["ssim"] = round(float(ssim(x_hat, reference)), 4)
        if baseline:
            scheme, base = _baseline_for(baseline, rec.snr_est_db, transceiver.model.num_symbols(*image.shape[:2]))
            frame, _ = transceiver.digital_frame(image, seq, base)
            brec = _exchange(radio, transceiver, frame, base, label=f"{scheme} frame {seq}")
            row["baseline_scheme"] = scheme
            received["baseline"] = brec.image
            if brec.image is not None:
                row["baseline_psnr_db"] = round(float(psnr(to_tensor(brec.image), reference).clamp_max(100)), 3)
            if brec.error and not row["error"]:
                row["error"] = f"baseline: {brec.error}"
        rows.append(row)
        if on_frame is not None:
            on_frame(row, received)
    return rows


def _exchange(radio, transceiver: Transceiver, frame: np.ndarray, baseline=None, label: str = "") -> Reception:
    """Send ``frame`` cyclically and listen until a frame of its kind is received, for up to the
    radio's pipeline latency (samples sent earlier may still be arriving)."""
    radio.tx(frame, cyclic=True)
    length = 2 * frame.shape[-1]  # one whole frame inside, whatever the start
    tries = 1 + math.ceil(getattr(radio, "latency_samples", 0) / length)
    for _ in range(tries):
        capture = radio.rx(length)
        rec = transceiver.receive(capture, baseline, scheme=1 if baseline is not None else 0)
        if rec.header_ok and not rec.truncated:
            break
    if rec.detected and hasattr(radio, "annotate"):  # a SigMF recorder: mark the frame
        radio.annotate(rec.frame_start, frame.shape[-1], label or "semcom frame",
                       f"cfo_hz={rec.cfo_hz:.1f} snr_est_db={rec.snr_est_db:.2f} header_ok={rec.header_ok}")
    return rec


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

"""The digital baseline: source codec (HEIC, AVIF, JPEG, WebP; :mod:`semcom.codecs`) -> 5G NR
transport block (TB CRC, segmentation, LDPC, rate matching; :mod:`phy.digital`) -> QAM -> the same
link -> demapper -> TB decoder -> codec decoder, at the JSCC model's channel-use budget.

What crosses the channel per image is one transport block carrying
``[payload length: 3 B][codec setting: 1 B][codec payload]``, zero padded. A TB whose CRC fails, or
whose payload does not decode, gives the fallback image (the CIFAR-10 training mean colour) and is
counted as a block error, as is an image whose codec output cannot fit the TB even at the lowest
quality.

Scheme names: ``<codec>+<mcs>`` (one MCS: ``heic+nr64-mcs14``, ``jpeg+ldpc1/2-16qam``),
``<codec>-ldpc`` (the nine ``ldpc<rate>-<qam>`` schemes, and their best at each SNR),
``<codec>@capacity`` (the largest payload within ``k log2(1 + SNR)`` bits, error-free: the separation
bound for that codec), ``raw-256qam`` (every pixel value as one uncoded 256-QAM symbol, ratio 1) and
``digital`` (every codec with every 5G NR MCS; see :mod:`semcom.digital`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from phy.digital import LEGACY_MCS, TransportBlockQAM, parse_mcs

from .codecs import CODECS, CodecError, fallback_image, make_codec  # noqa: F401  (re-exported)

FRAME_OVERHEAD_BYTES = 4
DIGITAL = "digital"


def expand_baselines(names) -> list[str]:
    """``jpeg-ldpc`` -> every ``jpeg+<mcs>`` of the nine fixed-rate schemes; other names pass through."""
    out = []
    for name in names:
        codec = name[:-5] if name.endswith("-ldpc") else None
        out += [f"{codec}+{m}" for m in LEGACY_MCS] if codec in CODECS else [name]
    return out


def parse_scheme(name: str) -> tuple[str, str | None, str | None]:
    """The earlier form: ``jpeg+ldpc1/2-16qam`` -> ("jpeg", "1/2", "16qam"); ``heic+nr64-mcs5`` ->
    ("heic", "nr64-mcs5", None); ``webp@capacity`` -> ("webp", None, None)."""
    codec, mcs = split_scheme(name)
    if mcs is None or not mcs.startswith("ldpc"):
        return codec, mcs, None
    rate, _, modulation = mcs[len("ldpc"):].partition("-")
    return codec, rate, modulation


def split_scheme(name: str) -> tuple[str, str | None]:
    """``jpeg+ldpc1/2-16qam`` -> ("jpeg", "ldpc1/2-16qam"); ``webp@capacity`` -> ("webp", None)."""
    if name in ("raw-256qam", DIGITAL):
        return name, None
    if name.endswith("@capacity"):
        codec = name[: -len("@capacity")]
        make_codec(codec)
        return codec, None
    codec, _, mcs = name.partition("+")
    if codec not in CODECS or not mcs:
        raise ValueError(f"unknown baseline {name!r}: use digital, <codec>-ldpc, <codec>+<mcs> (e.g. heic+nr64-mcs14 "
                         f"or jpeg+ldpc1/2-16qam), <codec>@capacity or raw-256qam (codecs: {', '.join(CODECS)})")
    parse_mcs(mcs)
    return codec, mcs


def pack_frame(setting: int, payload: bytes, info_bits: int) -> np.ndarray:
    """Frame bytes -> bit array [info_bits] (MSB first, zero padded)."""
    frame = len(payload).to_bytes(3, "big") + bytes([setting]) + payload
    bits = np.unpackbits(np.frombuffer(frame, np.uint8))
    if len(bits) > info_bits:
        raise ValueError(f"frame of {len(frame)} bytes exceeds {info_bits} information bits")
    return np.concatenate([bits, np.zeros(info_bits - len(bits), np.uint8)])


def unpack_frame(bits: np.ndarray) -> tuple[int, bytes]:
    """Bit array -> (codec setting, payload); raises CodecError on a length beyond the frame."""
    data = np.packbits(np.asarray(bits, np.uint8)).tobytes()
    length = int.from_bytes(data[:3], "big")
    if 4 + length > len(data):
        raise CodecError(f"frame length field {length} exceeds the frame")
    return data[3], data[4:4 + length]


@dataclass
class BaselineResult:
    images: np.ndarray  # uint8 [B, H, W, 3]
    failures: int  # frames that gave the fallback image
    bit_errors: int  # information-bit errors after decoding
    bits: int
    tx_signal: torch.Tensor | None = None  # the link's transmitted signal, when it has one


class DigitalBaseline:
    """Codec + 5G transport block + QAM over a ``channel`` with the ChannelOutput interface.

    :param codec: a name in :data:`semcom.codecs.CODECS`.
    :param num_symbols: channel uses per image (the JSCC model's k for that image size).
    :param modulation, code_rate: the earlier way to name an MCS (``16qam``, ``1/2``).
    :param mcs: an MCS name (``nr64-mcs14``, ``ldpc1/3-bpsk``); overrides ``modulation``/``code_rate``.
    """

    def __init__(self, codec: str, num_symbols: int, modulation: str = "16qam", code_rate: str = "1/2",
                 mcs: str | None = None):
        self.codec = make_codec(codec)
        if mcs is None:  # (None, "nr64-mcs5") is how parse_scheme gives an NR MCS
            mcs = code_rate if modulation is None else f"ldpc{code_rate}-{modulation}"
        self.phy = TransportBlockQAM(num_symbols, mcs)
        self.name = f"{codec}+{self.phy.name}"
        self.max_payload = self.phy.k // 8 - FRAME_OVERHEAD_BYTES

    def encode(self, images) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
        """uint8 [B, H, W, 3] -> (symbols [B, num_symbols], sent bits [B, k], fitted flags [B])."""
        bits = np.zeros((len(images), self.phy.k), np.uint8)
        sent = np.zeros(len(images), bool)
        for i, im in enumerate(images):
            fit = self.codec.fit(im, self.max_payload)
            if fit is not None:
                bits[i] = pack_frame(fit[0], fit[1], self.phy.k)
                sent[i] = True
        return self.phy.modulate(torch.from_numpy(bits)), bits, sent

    def decode(self, s_hat: torch.Tensor, noise_var: torch.Tensor, height: int, width: int,
               sent: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, int]:
        """Equalised symbols -> (images uint8 [B, H, W, 3], decoded bits [B, k], block errors)."""
        bits_hat, ok = self.phy.demodulate(s_hat, noise_var)
        bits_hat = bits_hat.round().to(torch.uint8).numpy()
        images = np.empty((s_hat.shape[0], height, width, 3), np.uint8)
        failures = 0
        for i in range(s_hat.shape[0]):
            try:
                if sent is not None and not sent[i]:
                    raise CodecError("did not fit the budget")
                if not ok[i]:
                    raise CodecError("transport block CRC failed")
                setting, payload = unpack_frame(bits_hat[i])
                images[i] = self.codec.decode(payload, height, width, setting)
            except CodecError:
                images[i] = fallback_image(height, width)
                failures += 1
        return images, bits_hat, failures

    @torch.no_grad()
    def transmit(self, images: np.ndarray, snr_db: float, channel, generator=None) -> BaselineResult:
        """:input images: uint8 [B, H, W, 3]. Sends one transport block per image over ``channel``."""
        b, h, w, _ = images.shape
        s, bits, sent = self.encode(images)
        out = channel(s, torch.full((b,), float(snr_db)), generator=generator)
        result, bits_hat, failures = self.decode(out.s_hat, effective_noise_var(out, s), h, w, sent)
        errors = int((bits_hat != bits)[sent].sum())
        return BaselineResult(result, failures, errors, int(sent.sum()) * self.phy.k, out.tx_signal)


def effective_noise_var(out, s: torch.Tensor) -> torch.Tensor:
    """Per-symbol noise variance [B, k] of a channel output (from its effective SNR when it gives none)."""
    if out.noise_var is not None:
        return out.noise_var
    return torch.pow(10.0, -out.snr_eff_db / 10)[:, None].expand_as(s)


def capacity_bytes(num_symbols: int, snr_db: float) -> int:
    return int(num_symbols * math.log2(1 + 10 ** (snr_db / 10)) // 8)


def codec_at_capacity(codec: str, images: np.ndarray, num_symbols: int, snr_db: float,
                      budget: int | None = None) -> BaselineResult:
    """Largest payload within ``num_symbols * log2(1 + SNR)`` bits (or ``budget`` bytes), delivered error-free."""
    c = make_codec(codec)
    budget = capacity_bytes(num_symbols, snr_db) if budget is None else budget
    out = np.empty_like(images)
    failures = 0
    for i, im in enumerate(images):
        fit = c.fit(im, budget)
        if fit is None:
            out[i], failures = fallback_image(*im.shape[:2]), failures + 1
        else:
            out[i] = c.decode(fit[1], im.shape[0], im.shape[1], fit[0])
    return BaselineResult(out, failures, 0, 0)


@torch.no_grad()
def raw_256qam(images: np.ndarray, snr_db: float, channel, generator=None) -> BaselineResult:
    """Every 8-bit pixel value as one uncoded Gray 256-QAM symbol (ratio 1), hard decisions."""
    from phy.digital import Scrambler, require_sionna

    require_sionna()
    from sionna.phy.mapping import Demapper, Mapper

    b = images.shape[0]
    bits = np.unpackbits(images.reshape(b, -1), axis=1)  # [B, 8 * 3HW]
    scrambler = Scrambler(bits.shape[1])
    s = Mapper("qam", 8)(scrambler.scramble(torch.from_numpy(bits).float()))
    out = channel(s, torch.full((b,), float(snr_db)), generator=generator)
    llr = scrambler.descramble_llr(Demapper("app", "qam", 8)(out.s_hat, effective_noise_var(out, s).clamp_min(1e-6)))
    bits_hat = (llr > 0).to(torch.uint8).numpy()
    rx = np.packbits(bits_hat, axis=1).reshape(images.shape)
    return BaselineResult(rx, 0, int((bits_hat != bits).sum()), bits.size, out.tx_signal)

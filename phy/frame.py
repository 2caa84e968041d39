"""Frame header: what the receiver must know before it can decode the body.

Layout of an over-the-air frame (samples at the OFDM rate):

``[preamble: STF + LTF][header: 5 OFDM symbols][body: OFDM slots with pilots][gap]``

The header carries 160 bits (magic, version, scheme, a 32-bit model id,
bandwidth ratio, image size, symbol count, sequence number, MCS, the SNR the
encoder was conditioned on) and a
CRC-16-CCITT, as BPSK with each bit sent twice on the used subcarriers of five
OFDM symbols (seed numerology). The model id names the weights the frame was
encoded with (the application derives it, e.g. from the weights' SHA-256), so a
receiver with other weights refuses the frame instead of decoding garbage. It
is equalised with the channel estimated from the LTF; a header whose CRC or
magic fails is reported as an error, never decoded further.

The receiver combines the two copies of each bit weighted by the reliability of
the OFDM symbol and subcarrier each lies in (the imaginary part of an equalised
BPSK symbol is noise alone, so its power per symbol, and per subcarrier where a
narrowband interferer stands out, measures the noise plus interference there: a
burst over one symbol does not outvote the clean copy), and when the
CRC fails it retries with the least reliable bits flipped (Chase decoding: the
CRC, the magic and the version, 36 known or checked bits, vouch for the result).
"""

from __future__ import annotations

import binascii
import math
from dataclasses import dataclass

import numpy as np
import torch

from .ofdm import OFDMConfig
from .ofdm.estimation import narrowband_shape, smooth_subcarriers
from .sync import Preamble

MAGIC = 0x5C0D
VERSION = 2  # 2: 32-bit model id (1: 8-bit)
HEADER_BITS = 160
CRC_BITS = 16
REPETITION = 2
SUBCARRIER_WINDOW = 7  # neighbouring subcarriers averaged in the header's noise per subcarrier
CHASE_BITS = 6  # least reliable bits whose 2**6 - 1 flip patterns are tried when the CRC fails


class FrameError(ValueError):
    """A header that cannot be trusted (CRC or magic mismatch, impossible fields)."""


# (name, bits) in transmission order; 16+4+4+32+8+8+16+16+24+16+8+8 = 160
FIELDS = (("magic", 16), ("version", 4), ("scheme", 4), ("model_id", 32), ("ratio_num", 8), ("ratio_den", 8),
          ("height", 16), ("width", 16), ("num_symbols", 24), ("seq", 16), ("mcs", 8), ("tx_snr", 8))
SNR_STEP_DB = 0.25  # tx_snr field: (code - 128) * SNR_STEP_DB dB, i.e. -32 .. +31.75 dB


@dataclass(frozen=True)
class FrameHeader:
    """Fields of one frame. ``scheme``: 0 JSCC, 1 digital; ``model_id``: 32-bit id of the
    encoder's weights (0: none, e.g. a digital frame); ``mcs``: digital MCS index; ``tx_snr``:
    the SNR the encoder was conditioned on, coded by :func:`snr_code` (see :attr:`tx_snr_db`)."""

    scheme: int
    model_id: int
    ratio_num: int
    ratio_den: int
    height: int
    width: int
    num_symbols: int
    seq: int
    mcs: int = 0
    tx_snr: int = 128

    @property
    def tx_snr_db(self) -> float:
        """The encoder's SNR in dB."""
        return (self.tx_snr - 128) * SNR_STEP_DB

    def __post_init__(self):
        for name, bits in FIELDS[2:]:
            value = getattr(self, name)
            if not 0 <= int(value) < 2 ** bits:
                raise ValueError(f"FrameHeader.{name}={value} does not fit in {bits} bits")
        if self.ratio_den == 0 or self.height == 0 or self.width == 0 or self.num_symbols == 0:
            raise ValueError("FrameHeader: ratio_den, height, width and num_symbols must be > 0")

    def to_bits(self) -> np.ndarray:
        """[176] uint8: the 160 field bits then the CRC-16 of their bytes."""
        values = {"magic": MAGIC, "version": VERSION, **{n: getattr(self, n) for n, _ in FIELDS[2:]}}
        bits = np.concatenate([np.array([(values[n] >> (b - 1 - i)) & 1 for i in range(b)], np.uint8)
                               for n, b in FIELDS])
        crc = binascii.crc_hqx(np.packbits(bits).tobytes(), 0xFFFF)
        return np.concatenate([bits, np.array([(crc >> (15 - i)) & 1 for i in range(16)], np.uint8)])

    @classmethod
    def from_bits(cls, bits: np.ndarray) -> "FrameHeader":
        bits = np.asarray(bits, np.uint8)
        if bits.shape != (HEADER_BITS + CRC_BITS,):
            raise FrameError(f"header needs {HEADER_BITS + CRC_BITS} bits, got {bits.shape}")
        if binascii.crc_hqx(np.packbits(bits[:HEADER_BITS]).tobytes(), 0xFFFF) != _unsigned(bits[HEADER_BITS:]):
            raise FrameError("header CRC mismatch")
        values, pos = {}, 0
        for name, b in FIELDS:
            values[name] = _unsigned(bits[pos:pos + b])
            pos += b
        if values.pop("magic") != MAGIC:
            raise FrameError("not a semcom-sdr frame (magic mismatch)")
        if values.pop("version") != VERSION:
            raise FrameError("unsupported frame version")
        try:
            return cls(**values)
        except ValueError as exc:
            raise FrameError(str(exc)) from exc


def _unsigned(bits: np.ndarray) -> int:
    """The unsigned integer of ``bits`` (most significant first, at most 63)."""
    return int(bits.astype(np.int64) @ (1 << np.arange(len(bits) - 1, -1, -1, dtype=np.int64)))


def snr_code(snr_db: float) -> int:
    """The ``tx_snr`` header code of an SNR in dB (nearest 0.25 dB, limited to -32 .. +31.75 dB)."""
    return int(min(255, max(0, round(float(snr_db) / SNR_STEP_DB) + 128)))


def header_symbols(cfg: OFDMConfig) -> int:
    """OFDM symbols the header occupies."""
    return math.ceil((HEADER_BITS + CRC_BITS) * REPETITION / cfg.num_used_subcarriers)


def header_length(cfg: OFDMConfig) -> int:
    """Samples of the header."""
    return header_symbols(cfg) * cfg.symbol_length


def header_waveform(header: FrameHeader, cfg: OFDMConfig) -> torch.Tensor:
    """The header's time samples [header_length], unit power on the used subcarriers."""
    n_sym, used = header_symbols(cfg), cfg.used_subcarriers
    coded = np.tile(header.to_bits(), REPETITION)
    coded = np.concatenate([coded, np.zeros(n_sym * len(used) - len(coded), np.uint8)])
    grid = np.zeros((n_sym, cfg.fft_size), complex)
    grid[:, used] = (1.0 - 2.0 * coded.reshape(n_sym, len(used)))
    x = np.fft.ifft(np.fft.ifftshift(grid, axes=-1), axis=-1) * math.sqrt(cfg.fft_size)
    x = np.concatenate([x[:, cfg.fft_size - cfg.cp_length:], x], axis=-1)
    return torch.as_tensor(x.reshape(-1), dtype=torch.complex64)


def ltf_channel(y: torch.Tensor, ltf_start: int, preamble: Preamble) -> torch.Tensor:
    """Channel estimate per receive antenna from the two LTF copies: [..., rx, n] -> [..., rx, N]
    (zero off the used subcarriers)."""
    n = preamble.cfg.fft_size
    copies = y[..., ltf_start:ltf_start + 2 * n].unflatten(-1, (2, n)).mean(-2)
    freq = torch.fft.fftshift(torch.fft.fft(copies, norm="ortho"), dim=-1)
    sent = torch.fft.fftshift(torch.fft.fft(preamble.ltf_symbol, norm="ortho"))  # what the LTF put on each RE
    used = torch.as_tensor(preamble.cfg.used_subcarriers)
    h = torch.zeros_like(freq)
    h[..., used] = freq[..., used] / sent[used]
    return h


def decode_header(y: torch.Tensor, start: int, h: torch.Tensor, cfg: OFDMConfig) -> FrameHeader:
    """Decode the header whose first sample is ``start``; ``h`` [rx, N] from :func:`ltf_channel`.

    Raises :class:`FrameError` when it does not check out.
    """
    return chase_decode(header_llrs(y[None], start, h[None], cfg)[0])


def decode_headers(y: torch.Tensor, start: int, h: torch.Tensor, cfg: OFDMConfig) -> list:
    """:func:`decode_header` of a batch: ``y`` [B, rx, n], ``h`` [B, rx, N] -> B headers, each a
    :class:`FrameHeader` or the :class:`FrameError` it failed with."""
    out = []
    for llr in header_llrs(y, start, h, cfg):
        try:
            out.append(chase_decode(llr))
        except FrameError as exc:
            out.append(exc)
    return out


def header_llrs(y: torch.Tensor, start: int, h: torch.Tensor, cfg: OFDMConfig) -> np.ndarray:
    """Soft header bits [B, 176] (> 0: bit 0, the two copies combined) of ``y`` [B, rx, n] whose
    header starts at ``start``, with ``h`` [B, rx, N]. Raises :class:`FrameError` when ``y`` ends inside it."""
    n_sym, used = header_symbols(cfg), torch.as_tensor(cfg.used_subcarriers)
    seg = y[..., start:start + n_sym * cfg.symbol_length]
    if seg.shape[-1] < n_sym * cfg.symbol_length:
        raise FrameError("capture ends inside the header")
    sym = seg.unflatten(-1, (n_sym, cfg.symbol_length))[..., cfg.cp_length:]
    grid = torch.fft.fftshift(torch.fft.fft(sym, norm="ortho"), dim=-1)[..., used]  # [B, rx, n_sym, U]
    z = (h[..., None, used].conj() * grid).sum(1).to(torch.complex128)  # MRC over antennas: [B, n_sym, U]
    # noise power from the imaginary parts (BPSK sends none): per OFDM symbol, times a per-subcarrier
    # factor where a narrowband interferer stands out (as phy.ofdm.estimation.body_noise_variance)
    q = z.imag.square()
    per_symbol = q.mean(-1, keepdim=True)  # [B, n_sym, 1]
    per_subcarrier = smooth_subcarriers(q.mean(1), SUBCARRIER_WINDOW)  # [B, U]
    noise = per_symbol * narrowband_shape(per_subcarrier)[:, None]  # [B, n_sym, U]
    noise = noise.clamp_min(1e-9 * z.real.square().mean((1, 2))[:, None, None] + 1e-300)
    llr = (z.real / noise).flatten(1)[:, : (HEADER_BITS + CRC_BITS) * REPETITION]
    return llr.unflatten(1, (REPETITION, -1)).sum(1).numpy()  # combine the repeats


def chase_decode(llr: np.ndarray, flips: int = CHASE_BITS) -> FrameHeader:
    """The header of soft bits ``llr`` [176] (> 0: bit 0): the hard decision, or when its CRC
    fails, the first of the patterns flipping some of the ``flips`` least reliable bits (cheapest
    first) that passes every check. Raises the hard decision's :class:`FrameError` otherwise."""
    hard = (llr < 0).astype(np.uint8)
    try:
        return FrameHeader.from_bits(hard)
    except FrameError as exc:
        if "CRC" not in str(exc):
            raise  # a whole header of another kind (magic, version): no guessing
        first = exc
    weak = np.argsort(np.abs(llr))[:flips]
    masks = np.arange(1, 2 ** len(weak))
    chosen = (masks[:, None] >> np.arange(len(weak))[None]) & 1  # [patterns, flips]
    for row in chosen[np.argsort(chosen @ np.abs(llr[weak]), kind="stable")]:
        bits = hard.copy()
        bits[weak[row == 1]] ^= 1
        try:
            return FrameHeader.from_bits(bits)
        except FrameError:
            continue
    raise first

"""The digital baseline: source codec (JPEG, WebP, HEVC-intra/HEIC) -> 5G LDPC -> QAM -> the same link ->
demapper -> LDPC decoder -> codec decoder, at the JSCC model's channel-use budget.

What crosses the channel per image is one frame:
``[payload length: 2 B][quality: 1 B][codec payload][CRC-32: 4 B]`` padded to
the code's information bits. Codec headers that are fixed for a given image
size and quality (JPEG's tables and SOF/SOS segments, WebP's RIFF framing) are
not sent: the receiver rebuilds them (HEIF: its two length fields filled in). A frame whose CRC fails or whose payload
does not decode gives the fallback image (the CIFAR-10 training mean colour)
and is counted as a failure, as is an image whose codec output cannot fit the
budget even at the lowest quality.

Two reference schemes need no channel simulation: ``<codec>@capacity`` sends
the largest codec payload that fits ``k log2(1 + SNR)`` bits, error-free (the
separation bound for that codec), and ``raw-256qam`` sends every pixel value
as one uncoded 256-QAM symbol (bandwidth ratio 1).
"""

from __future__ import annotations

import hashlib
import io
import math
import struct
import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

FALLBACK_RGB = (0.4914, 0.4822, 0.4465)  # CIFAR-10 training mean colour
FRAME_OVERHEAD_BYTES = 7
QUALITIES = range(1, 96)


class CodecError(ValueError):
    """A payload that cannot be decoded."""


FIT_CACHE_SIZE = 8192  # remembered quality fits per codec (keys are digests; payloads fit the budget)


class ImageCodec:
    """A codec whose fixed headers are known to both ends."""

    name = ""

    def __init__(self):
        self._fits: dict = {}  # (image digest, shape, budget) -> fit, oldest first

    def encode(self, image: np.ndarray, quality: int) -> bytes:
        raise NotImplementedError

    def decode(self, payload: bytes, height: int, width: int, quality: int) -> np.ndarray:
        raise NotImplementedError

    def fit(self, image: np.ndarray, max_bytes: int) -> tuple[int, bytes] | None:
        """The highest quality whose payload fits ``max_bytes`` (binary search), or None.

        Remembered per image and budget: a sweep sends the same images at every SNR and
        MCS, and an HEVC encode costs tens of milliseconds."""
        image = np.ascontiguousarray(image, dtype=np.uint8)
        key = (hashlib.sha1(image.tobytes()).digest(), image.shape, int(max_bytes))
        if key not in self._fits:
            if len(self._fits) >= FIT_CACHE_SIZE:
                self._fits.pop(next(iter(self._fits)))  # the oldest entry
            self._fits[key] = self._search(image, int(max_bytes))
        return self._fits[key]

    def _search(self, image: np.ndarray, max_bytes: int) -> tuple[int, bytes] | None:
        lo, hi, best = QUALITIES.start, QUALITIES.stop - 1, None
        while lo <= hi:
            q = (lo + hi) // 2
            payload = self.encode(image, q)
            if len(payload) <= max_bytes:
                best, lo = (q, payload), q + 1
            else:
                hi = q - 1
        return best


def _pil_bytes(image: np.ndarray, fmt: str, **kw) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(image).save(buf, fmt, **kw)
    return buf.getvalue()


def _pil_decode(data: bytes) -> np.ndarray:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            return np.asarray(im.convert("RGB"))
    except Exception as exc:  # Pillow raises many types on damaged streams
        raise CodecError(f"undecodable payload: {exc}") from exc


class JPEG(ImageCodec):
    """Baseline JPEG (Pillow/libjpeg, 4:2:0, standard Huffman tables)."""

    name = "jpeg"

    @staticmethod
    def _split(data: bytes) -> tuple[bytes, bytes]:
        sos = data.index(b"\xff\xda")
        end = sos + 2 + int.from_bytes(data[sos + 2:sos + 4], "big")
        return data[:end], data[end:-2]  # header through SOS, scan data without EOI

    @lru_cache(maxsize=256)
    def header(self, height: int, width: int, quality: int) -> bytes:
        return self._split(_pil_bytes(np.zeros((height, width, 3), np.uint8), "JPEG", quality=quality))[0]

    def encode(self, image, quality):
        header, scan = self._split(_pil_bytes(image, "JPEG", quality=quality))
        if header != self.header(image.shape[0], image.shape[1], quality):
            raise CodecError("JPEG header differs from the shared one (unexpected encoder settings)")
        return scan

    def decode(self, payload, height, width, quality):
        image = _pil_decode(self.header(height, width, quality) + payload + b"\xff\xd9")
        if image.shape[:2] != (height, width):
            raise CodecError(f"decoded size {image.shape[:2]} differs from {(height, width)}")
        return image


class WebP(ImageCodec):
    """Lossy WebP (Pillow/libwebp); only the VP8 bitstream is sent."""

    name = "webp"

    def encode(self, image, quality):
        data = _pil_bytes(image, "WEBP", quality=quality, method=6)
        if data[12:16] != b"VP8 ":
            raise CodecError(f"unexpected WebP chunk {data[12:16]!r}")
        size = struct.unpack("<I", data[16:20])[0]
        return data[20:20 + size]

    def decode(self, payload, height, width, quality):
        chunk = b"VP8 " + struct.pack("<I", len(payload)) + payload + (b"\x00" if len(payload) % 2 else b"")
        image = _pil_decode(b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk)
        if image.shape[:2] != (height, width):
            raise CodecError(f"decoded size {image.shape[:2]} differs from {(height, width)}")
        return image


def _heif_module():
    try:
        import pillow_heif
    except ImportError as exc:
        raise ImportError("the HEIC (HEVC-intra) baseline needs pillow-heif: pip install 'semcom-sdr[baseline]'") \
            from exc
    pillow_heif.register_heif_opener()
    return pillow_heif


class HEIC(ImageCodec):
    """HEVC intra in a HEIF container (pillow-heif: x265 / libde265), the BPG
    class of codec. Only the HEVC data in ``mdat`` is sent; the container
    (parameter sets included) is fixed for a size and quality except two
    length fields, the ``iloc`` extent length and the ``mdat`` box size, which
    the receiver fills in."""

    name = "heic"

    @staticmethod
    def _layout(data: bytes) -> tuple[int, int, int]:
        """(payload start, offset of iloc's extent_length, its size in bytes)."""
        mdat = data.index(b"mdat") - 4
        i = data.index(b"iloc") - 4
        version = data[i + 8]
        if version not in (0, 1):
            raise CodecError(f"unsupported iloc version {version}")
        offset_size, length_size = data[i + 12] >> 4, data[i + 12] & 15
        base_size, index_size = data[i + 13] >> 4, (data[i + 13] & 15 if version == 1 else 0)
        pos = i + 14
        if int.from_bytes(data[pos:pos + 2], "big") != 1:
            raise CodecError("expected one item in iloc")
        pos += 2 + 2 + (2 if version == 1 else 0) + 2 + base_size  # item_ID, [method], data_ref, base_offset
        if int.from_bytes(data[pos:pos + 2], "big") != 1:
            raise CodecError("expected one extent in iloc")
        pos += 2 + index_size + offset_size
        return mdat + 8, pos, length_size

    @lru_cache(maxsize=128)
    def header(self, height: int, width: int, quality: int) -> tuple[bytes, int, int]:
        data = self._encode_file(np.zeros((height, width, 3), np.uint8), quality)
        start, length_pos, length_size = self._layout(data)
        return data[:start], length_pos, length_size

    def _encode_file(self, image, quality) -> bytes:
        _heif_module()
        return _pil_bytes(image, "HEIF", quality=quality)

    def _assemble(self, header: bytes, length_pos: int, length_size: int, payload: bytes) -> bytes:
        h = bytearray(header)
        h[length_pos:length_pos + length_size] = len(payload).to_bytes(length_size, "big")
        mdat = len(header) - 8
        h[mdat:mdat + 4] = (len(payload) + 8).to_bytes(4, "big")
        return bytes(h) + payload

    def encode(self, image, quality):
        data = self._encode_file(image, quality)
        start, _, _ = self._layout(data)
        header, pos, size = self.header(image.shape[0], image.shape[1], quality)
        if self._assemble(header, pos, size, data[start:]) != data:
            raise CodecError("HEIF container differs from the shared one (unexpected encoder settings)")
        return data[start:]

    def decode(self, payload, height, width, quality):
        _heif_module()
        image = _pil_decode(self._assemble(*self.header(height, width, quality), payload))
        if image.shape[:2] != (height, width):
            raise CodecError(f"decoded size {image.shape[:2]} differs from {(height, width)}")
        return image


CODECS = {"jpeg": JPEG, "webp": WebP, "heic": HEIC}
MCS = ("ldpc1/3-qpsk", "ldpc1/2-qpsk", "ldpc3/4-qpsk", "ldpc1/2-16qam", "ldpc3/4-16qam", "ldpc2/3-64qam",
       "ldpc5/6-64qam", "ldpc3/4-256qam", "ldpc5/6-256qam")


def expand_baselines(names) -> list[str]:
    """``jpeg-ldpc`` -> every ``jpeg+<mcs>`` in :data:`MCS`; other names pass through."""
    out = []
    for name in names:
        codec = name[:-5] if name.endswith("-ldpc") else None
        out += [f"{codec}+{m}" for m in MCS] if codec in CODECS else [name]
    return out


def parse_scheme(name: str) -> tuple[str, str | None, str | None]:
    """``jpeg+ldpc1/2-16qam`` -> ("jpeg", "1/2", "16qam"); ``webp@capacity`` -> ("webp", None, None)."""
    if name == "raw-256qam":
        return name, None, None
    if name.endswith("@capacity"):
        codec = name[: -len("@capacity")]
        make_codec(codec)
        return codec, None, None
    codec, _, mcs = name.partition("+ldpc")
    rate, _, modulation = mcs.partition("-")
    if not mcs or codec not in CODECS:
        raise ValueError(f"unknown baseline {name!r}: use <codec>-ldpc, <codec>+ldpc<rate>-<qam>, "
                         f"<codec>@capacity or raw-256qam (codecs: {', '.join(CODECS)})")
    return codec, rate, modulation


@lru_cache(maxsize=None)
def make_codec(name: str) -> ImageCodec:
    """The codec called ``name``; one shared instance per name, so that its caches serve every caller."""
    if name not in CODECS:
        raise ValueError(f"unknown codec {name!r}; choose one of {', '.join(CODECS)}")
    return CODECS[name]()


def fallback_image(height: int, width: int) -> np.ndarray:
    return np.broadcast_to((np.array(FALLBACK_RGB) * 255).round().astype(np.uint8), (height, width, 3)).copy()


def pack_frame(quality: int, payload: bytes, info_bits: int) -> np.ndarray:
    """Frame bytes -> bit array [info_bits] (MSB first, zero padded)."""
    body = struct.pack(">HB", len(payload), quality) + payload
    frame = body + struct.pack(">I", zlib.crc32(body))
    bits = np.unpackbits(np.frombuffer(frame, np.uint8))
    if len(bits) > info_bits:
        raise ValueError(f"frame of {len(frame)} bytes exceeds {info_bits} information bits")
    return np.concatenate([bits, np.zeros(info_bits - len(bits), np.uint8)])


def unpack_frame(bits: np.ndarray) -> tuple[int, bytes]:
    """Bit array -> (quality, payload); raises CodecError on a bad length or CRC."""
    data = np.packbits(np.asarray(bits, np.uint8)).tobytes()
    length, quality = struct.unpack(">HB", data[:3])
    end = 3 + length
    if end + 4 > len(data):
        raise CodecError(f"frame length field {length} exceeds the frame")
    if zlib.crc32(data[:end]) != struct.unpack(">I", data[end:end + 4])[0]:
        raise CodecError("CRC mismatch")
    return quality, data[3:end]


@dataclass
class BaselineResult:
    images: np.ndarray  # uint8 [B, H, W, 3]
    failures: int  # frames that gave the fallback image
    bit_errors: int  # information-bit errors after decoding
    bits: int
    tx_signal: torch.Tensor | None = None  # the link's transmitted signal, when it has one


class DigitalBaseline:
    """Codec + LDPC + QAM over a ``channel`` with the ChannelOutput interface.

    :param codec: ``jpeg`` or ``webp``.
    :param num_symbols: channel uses per image (the JSCC model's k).
    """

    def __init__(self, codec: str, num_symbols: int, modulation: str = "16qam", code_rate: str = "1/2"):
        from phy.digital import LDPCQAM

        self.codec = make_codec(codec)
        self.phy = LDPCQAM(num_symbols, modulation, code_rate)
        self.name = f"{codec}+{self.phy.name}"
        self.max_payload = self.phy.k // 8 - FRAME_OVERHEAD_BYTES

    def encode(self, images: np.ndarray) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
        """uint8 [B, H, W, 3] -> (symbols [B, num_symbols], sent bits [B, k], fitted flags [B])."""
        bits = np.zeros((images.shape[0], self.phy.k), np.uint8)
        sent = np.zeros(images.shape[0], bool)
        for i, im in enumerate(images):
            fit = self.codec.fit(im, self.max_payload)
            if fit is not None:
                bits[i] = pack_frame(fit[0], fit[1], self.phy.k)
                sent[i] = True
        return self.phy.modulate(torch.from_numpy(bits)), bits, sent

    def decode(self, s_hat: torch.Tensor, noise_var: torch.Tensor, height: int, width: int,
               sent: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, int]:
        """Equalised symbols -> (images uint8 [B, H, W, 3], decoded bits [B, k], failures)."""
        bits_hat = self.phy.demodulate(s_hat, noise_var).round().to(torch.uint8).numpy()
        images = np.empty((s_hat.shape[0], height, width, 3), np.uint8)
        failures = 0
        for i in range(s_hat.shape[0]):
            try:
                if sent is not None and not sent[i]:
                    raise CodecError("did not fit the budget")
                quality, payload = unpack_frame(bits_hat[i])
                images[i] = self.codec.decode(payload, height, width, quality)
            except CodecError:
                images[i] = fallback_image(height, width)
                failures += 1
        return images, bits_hat, failures

    @torch.no_grad()
    def transmit(self, images: np.ndarray, snr_db: float, channel, generator=None) -> BaselineResult:
        """:input images: uint8 [B, H, W, 3]. Sends one codeword per image over ``channel``."""
        b, h, w, _ = images.shape
        s, bits, sent = self.encode(images)
        out = channel(s, torch.full((b,), float(snr_db)), generator=generator)
        noise_var = out.noise_var if out.noise_var is not None else \
            torch.pow(10.0, -out.snr_eff_db / 10)[:, None].expand_as(s)
        result, bits_hat, failures = self.decode(out.s_hat, noise_var, h, w, sent)
        errors = int((bits_hat != bits)[sent].sum())
        return BaselineResult(result, failures, errors, int(sent.sum()) * self.phy.k, out.tx_signal)


def codec_at_capacity(codec: str, images: np.ndarray, num_symbols: int, snr_db: float) -> BaselineResult:
    """Largest payload within ``num_symbols * log2(1 + SNR)`` bits, delivered error-free."""
    c = make_codec(codec)
    budget = int(num_symbols * math.log2(1 + 10 ** (snr_db / 10)) // 8)
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
    from sionna.phy.mapping import Demapper, Mapper

    from phy.digital import Scrambler

    b = images.shape[0]
    bits = np.unpackbits(images.reshape(b, -1), axis=1)  # [B, 8 * 3HW]
    scrambler = Scrambler(bits.shape[1])
    s = Mapper("qam", 8)(scrambler.scramble(torch.from_numpy(bits).float()))
    out = channel(s, torch.full((b,), float(snr_db)), generator=generator)
    noise_var = out.noise_var if out.noise_var is not None else \
        torch.pow(10.0, -out.snr_eff_db / 10)[:, None].expand_as(s)
    llr = scrambler.descramble_llr(Demapper("app", "qam", 8)(out.s_hat, noise_var.clamp_min(1e-6)))
    bits_hat = (llr > 0).to(torch.uint8).numpy()
    rx = np.packbits(bits_hat, axis=1).reshape(images.shape)
    return BaselineResult(rx, 0, int((bits_hat != bits).sum()), bits.size, out.tx_signal)

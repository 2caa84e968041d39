"""Source codecs of the digital baseline, at their best and without what the receiver can rebuild.

Each codec encodes an image at a quality (1..100) and a chroma variant (4:2:0 or 4:4:4 where the
codec has both) to the bytes that must cross the channel: headers that are fixed for a given image
size, quality and variant (JPEG's tables and frame header, WebP's RIFF framing, the HEIF/AVIF
container with its parameter sets, AV1's sequence header) are rebuilt at the receiver from an
encode of a blank image. :meth:`ImageCodec.fit` finds, per image, the highest quality of each
variant whose payload fits a byte budget (bisection) and keeps the variant with the higher PSNR;
encodes are cached per (image, quality, variant), so budgets of many MCS and SNRs share them.

* ``heic``: HEVC intra (x265 through pillow-heif), configured as BPG is used for PSNR:
  ``preset=slower``, ``tune=psnr`` with psy-rd, psy-rdoq and AQ off (libheif turns them on after the
  tune); 4:2:0 and 4:4:4.
* ``avif``: AV1 intra (libavif through Pillow), speed 4; 4:2:0 and 4:4:4.
* ``jpeg``: baseline JPEG (libjpeg through Pillow), optimised Huffman tables off (they would be
  image-dependent headers); 4:2:0 and 4:4:4.
* ``webp``: lossy WebP (libwebp, method 6).
"""

from __future__ import annotations

import hashlib
import io
import struct
import threading
from functools import lru_cache

import numpy as np

FALLBACK_RGB = (0.4914, 0.4822, 0.4465)  # CIFAR-10 training mean colour
QUALITIES = range(1, 101)
VARIANT_BIT = 128  # the setting byte: quality (1..100) + 128 * variant index
CACHE_SIZE = 1 << 16  # cached encodes per codec (payloads, oldest dropped first)
MIN_SIDE = 8  # the smallest image side every codec here takes
GUESSES = 4  # quality-search steps that interpolate before bisecting


class CodecError(ValueError):
    """A payload that cannot be decoded."""


def fallback_image(height: int, width: int) -> np.ndarray:
    """What a failed frame decodes to: the CIFAR-10 mean colour (as the published baseline uses)."""
    return np.broadcast_to((np.array(FALLBACK_RGB) * 255).round().astype(np.uint8), (height, width, 3)).copy()


def psnr_u8(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 100.0 if mse == 0 else min(100.0, 10 * np.log10(255.0 ** 2 / mse))


def _pil_bytes(image: np.ndarray, fmt: str, **kw) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(image).save(buf, fmt, **kw)
    return buf.getvalue()


def _pil_decode(data: bytes, height: int, width: int) -> np.ndarray:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            image = np.asarray(im.convert("RGB"))
    except Exception as exc:  # Pillow and its plugins raise many types on damaged streams
        raise CodecError(f"undecodable payload: {exc}") from exc
    if image.shape[:2] != (height, width):
        raise CodecError(f"decoded size {image.shape[:2]} differs from {(height, width)}")
    return image


class ImageCodec:
    """A codec whose fixed headers are known to both ends. Subclasses give ``name``, ``variants``,
    :meth:`_file` (a whole file) and :meth:`_split` / :meth:`_join` (file <-> header + payload)."""

    name = ""
    variants: tuple = ("420",)
    size_slope = 0.03  # d ln(payload bytes) / d quality: the search's first guesses (each codec's: quality
    # 30 -> 70 on a 768x512 photo)

    def __init__(self):
        self._encodes: dict = {}  # (digest, shape, quality, variant) -> (payload, psnr)
        self._sizes: dict = {}  # (digest, shape, variant) -> {quality: payload bytes}
        self._lock = threading.Lock()  # the caches are shared by threads that fit different images

    # -- what subclasses provide ---------------------------------------------------------------
    def _file(self, image: np.ndarray, quality: int, variant: str) -> bytes:
        raise NotImplementedError

    def _split(self, data: bytes) -> tuple[bytes, bytes]:
        """A whole file -> (the part fixed for size/quality/variant, the payload)."""
        raise NotImplementedError

    def _join(self, header: bytes, payload: bytes) -> bytes:
        return header + payload

    # -- the interface -------------------------------------------------------------------------
    @lru_cache(maxsize=512)
    def header(self, height: int, width: int, quality: int, variant: str) -> bytes:
        return self._split(self._file(np.zeros((height, width, 3), np.uint8), quality, variant))[0]

    def encode(self, image: np.ndarray, setting: int) -> bytes:
        """uint8 [H, W, 3] -> payload at ``setting`` (see :func:`setting`)."""
        quality, variant = self._setting(setting)
        header, payload = self._split(self._file(image, quality, variant))
        if header != self.header(image.shape[0], image.shape[1], quality, variant):
            raise CodecError(f"{self.name} header differs from the shared one (unexpected encoder settings)")
        return payload

    def decode(self, payload: bytes, height: int, width: int, setting: int) -> np.ndarray:
        quality, variant = self._setting(setting)
        return _pil_decode(self._join(self.header(height, width, quality, variant), payload), height, width)

    def setting(self, quality: int, variant: str | None = None) -> int:
        return int(quality) + VARIANT_BIT * self.variants.index(variant or self.variants[0])

    def _setting(self, setting: int) -> tuple[int, str]:
        quality, index = setting % VARIANT_BIT, setting // VARIANT_BIT
        if quality not in QUALITIES or index >= len(self.variants):
            raise CodecError(f"{self.name}: bad setting {setting}")
        return quality, self.variants[index]

    def _cached(self, image: np.ndarray, digest: bytes, quality: int, variant: str) -> tuple[bytes, float]:
        key = (digest, image.shape, quality, variant)
        with self._lock:
            hit = self._encodes.get(key)
        if hit is not None:
            return hit
        s = self.setting(quality, variant)  # encode and decode outside the lock: the codecs release the GIL
        payload = self.encode(image, s)
        value = (payload, psnr_u8(self.decode(payload, *image.shape[:2], s), image))
        with self._lock:
            if len(self._encodes) >= CACHE_SIZE:
                d, sh, q, v = next(iter(self._encodes))
                self._encodes.pop((d, sh, q, v))
                self._sizes.get((d, sh, v), {}).pop(q, None)
            self._encodes[key] = value
            self._sizes.setdefault((digest, image.shape, variant), {})[quality] = len(payload)
        return value

    def fit(self, image: np.ndarray, max_bytes: int) -> tuple[int, bytes] | None:
        """(setting, payload) of the highest quality that fits ``max_bytes``, of the variant that gives the
        higher PSNR there; None when nothing fits."""
        found = self.fit_psnr(image, max_bytes)
        return None if found is None else found[:2]

    def fit_psnr(self, image: np.ndarray, max_bytes: int) -> tuple[int, bytes, float] | None:
        """:meth:`fit` and the PSNR (dB) its payload decodes to."""
        image = np.ascontiguousarray(image, dtype=np.uint8)
        digest = hashlib.sha1(image.tobytes()).digest()
        best = None
        for variant in self.variants:
            found = self._search(image, digest, variant, max_bytes)
            if found is not None and (best is None or found[0] > best[0]):
                best = found
        return None if best is None else (best[1], best[2], best[0])

    def _search(self, image, digest, variant, max_bytes) -> tuple[float, int, bytes] | None:
        """(PSNR, setting, payload) of the highest quality of ``variant`` that fits, None if none does.
        The qualities already encoded for this image bracket the answer; the next one tried is where the
        budget falls on the log-size line through the bracket (:meth:`_guess`) for the first
        ``GUESSES`` steps, then the middle (bisection), so the search is never much longer than one."""
        with self._lock:
            sizes = self._sizes.setdefault((digest, image.shape, variant), {})
        found, steps = None, 0
        while True:
            with self._lock:
                known = dict(sizes)  # a snapshot: another thread may be adding to this image's sizes
            fitting = [q for q, n in known.items() if n <= max_bytes]
            lo = max(fitting) + 1 if fitting else QUALITIES.start
            hi = min((q for q, n in known.items() if n > max_bytes), default=QUALITIES.stop) - 1
            if fitting and found is None:
                payload, p = self._cached(image, digest, max(fitting), variant)
                found = (p, self.setting(max(fitting), variant), payload)
            if lo > hi:
                return found
            q = self._guess(known, max_bytes, lo, hi) if steps < GUESSES else (lo + hi) // 2
            steps += 1
            payload, p = self._cached(image, digest, q, variant)
            if len(payload) <= max_bytes:
                found = (p, self.setting(q, variant), payload)

    def _guess(self, known: dict, max_bytes: int, lo: int, hi: int) -> int:
        """The quality in [lo, hi] whose payload the known sizes put at ``max_bytes`` (log size is close to
        linear in quality for these codecs; ``SIZE_SLOPE`` per quality step where one side is unknown)."""
        below = max((q for q, n in known.items() if n <= max_bytes), default=None)
        above = min((q for q, n in known.items() if n > max_bytes), default=None)
        target = np.log(max(max_bytes, 1))
        if below is not None and above is not None:
            a, b = np.log(max(known[below], 1)), np.log(known[above])
            q = below + (above - below) * (target - a) / max(b - a, 1e-9)
        elif below is not None:
            q = below + (target - np.log(max(known[below], 1))) / self._slope(known, below)
        elif above is not None:
            q = above - (np.log(known[above]) - target) / self._slope(known, above)
        else:
            q = (QUALITIES.start + QUALITIES.stop - 1) / 2
        return int(min(max(np.floor(q), lo), hi))

    def _slope(self, known: dict, end: int) -> float:
        """d ln(size) / d quality at the known quality ``end``: through its nearest known neighbour where that
        gives a rising line, else ``size_slope``."""
        others = [q for q in known if q != end]
        if others:
            q = min(others, key=lambda o: abs(o - end))
            slope = (np.log(max(known[end], 1)) - np.log(max(known[q], 1))) / (end - q)
            if slope > 0:
                return float(slope)
        return self.size_slope


class JPEG(ImageCodec):
    """Baseline JPEG (Pillow/libjpeg, standard Huffman tables); only the scan data is sent."""

    name = "jpeg"
    size_slope = 0.015
    variants = ("420", "444")

    def _file(self, image, quality, variant):
        return _pil_bytes(image, "JPEG", quality=quality, subsampling=2 if variant == "420" else 0)

    def _split(self, data):
        sos = data.index(b"\xff\xda")
        end = sos + 2 + int.from_bytes(data[sos + 2:sos + 4], "big")
        return data[:end], data[end:-2]  # header through SOS, scan data without EOI

    def _join(self, header, payload):
        return header + payload + b"\xff\xd9"


class WebP(ImageCodec):
    """Lossy WebP (Pillow/libwebp, method 6); only the VP8 bitstream is sent."""

    name = "webp"
    size_slope = 0.013

    def _file(self, image, quality, variant):
        return _pil_bytes(image, "WEBP", quality=quality, method=6)

    def _split(self, data):
        if data[12:16] != b"VP8 ":
            raise CodecError(f"unexpected WebP chunk {data[12:16]!r}")
        size = struct.unpack("<I", data[16:20])[0]
        return b"", data[20:20 + size]

    def _join(self, header, payload):
        chunk = b"VP8 " + struct.pack("<I", len(payload)) + payload + (b"\x00" if len(payload) % 2 else b"")
        return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


class ISOBMFFCodec(ImageCodec):
    """An image item in an ISO-BMFF container (HEIF, AVIF): only the coded data in ``mdat`` is sent,
    less a leading part that is fixed for size/quality/variant (``_fixed_prefix``). The container is
    fixed except two length fields, the ``iloc`` extent length and the ``mdat`` size, which the
    receiver fills in."""

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

    def _fixed_prefix(self, coded: bytes) -> int:
        """Bytes at the start of the coded data that only depend on size/quality/variant."""
        return 0

    def _split(self, data):
        start, length_pos, length_size = self._layout(data)
        cut = start + self._fixed_prefix(data[start:])
        # the two length fields are zeroed in the shared header; _join fills them in
        h = bytearray(data[:cut])
        h[length_pos:length_pos + length_size] = bytes(length_size)
        h[start - 8:start - 4] = bytes(4)
        return bytes(h) + struct.pack(">HBB", start, length_pos, length_size), data[cut:]

    def _join(self, header, payload):
        start = int.from_bytes(header[-4:-2], "big")
        length_pos, length_size = header[-2], header[-1]
        h = bytearray(header[:-4])
        coded = len(h) - start + len(payload)
        h[length_pos:length_pos + length_size] = coded.to_bytes(length_size, "big")
        h[start - 8:start - 4] = (coded + 8).to_bytes(4, "big")
        return bytes(h) + payload


def _heif_module():
    try:
        import pillow_heif
    except ImportError as exc:
        from phy.extras import MissingExtraError

        raise MissingExtraError("the HEIC (HEVC-intra) codec needs pillow-heif: pip install 'semcom-sdr[baseline]'") \
            from exc
    pillow_heif.register_heif_opener()
    return pillow_heif


# libheif's x265 plugin sets aq-mode 1, psy-rd 1 and psy-rdoq 1 after the preset and tune, which undoes
# tune=psnr; its ``x265:`` parameters are applied last, so they restore what tune=psnr (and BPG) use.
X265_PSNR = {"preset": "slower", "tune": "psnr", "x265:psy-rd": "0", "x265:psy-rdoq": "0", "x265:aq-mode": "0"}


class HEIC(ISOBMFFCodec):
    """HEVC intra (pillow-heif: x265 / libde265), the BPG class: x265 ``preset=slower``, ``tune=psnr``
    (:data:`X265_PSNR`). One slice NAL unit is sent, without its length prefix."""

    name = "heic"
    size_slope = 0.044
    variants = ("420", "444")

    def _file(self, image, quality, variant):
        _heif_module()
        return _pil_bytes(image, "HEIF", quality=quality, chroma=int(variant),
                          enc_params=X265_PSNR)

    def decode(self, payload, height, width, setting):
        _heif_module()
        return super().decode(payload, height, width, setting)

    def _split(self, data):
        """The coded data is one NAL unit behind a 4-byte length, which the receiver rebuilds."""
        header, coded = super()._split(data)
        if len(coded) < 4 or int.from_bytes(coded[:4], "big") != len(coded) - 4:
            raise CodecError("HEIC: expected one NAL unit (one slice) in the coded data")
        return header, coded[4:]

    def _join(self, header, payload):
        return super()._join(header, len(payload).to_bytes(4, "big") + payload)


class HEIC444(HEIC):
    """HEIC in 4:4:4 only, as the published CIFAR-10 baseline ran BPG (``bpgenc -f 444``): mosaic mode."""

    name = "heic444"
    variants = ("444",)


class AVIF(ISOBMFFCodec):
    """AV1 intra (Pillow's AVIF plugin, libavif), speed 4. The temporal delimiter and sequence header
    OBUs that start the coded data are fixed for size/quality/variant and not sent."""

    name = "avif"
    size_slope = 0.034
    variants = ("420", "444")

    def _file(self, image, quality, variant):
        return _pil_bytes(image, "AVIF", quality=quality, speed=4,
                          subsampling="4:2:0" if variant == "420" else "4:4:4")

    def _fixed_prefix(self, coded):
        pos = 0
        while pos < len(coded):
            obu_type, has_ext, has_size = (coded[pos] >> 3) & 15, coded[pos] & 4, coded[pos] & 2
            if obu_type not in (1, 2) or not has_size:  # sequence header, temporal delimiter
                break
            p = pos + 1 + (1 if has_ext else 0)
            size, shift = 0, 0
            while True:  # leb128
                b = coded[p]
                size |= (b & 127) << shift
                p, shift = p + 1, shift + 7
                if not b & 128:
                    break
            pos = p + size
        return pos


CODECS = {"heic": HEIC, "avif": AVIF, "jpeg": JPEG, "webp": WebP}


def available_codecs() -> list[str]:
    """The codecs whose libraries are installed (HEIC needs pillow-heif; AVIF a Pillow built with libavif)."""
    from PIL import features

    out = []
    for name in CODECS:
        if name == "heic":
            try:
                _heif_module()
            except ImportError:
                continue
        if name == "avif" and not features.check("avif"):
            continue
        out.append(name)
    return out


@lru_cache(maxsize=None)
def make_codec(name: str) -> ImageCodec:
    """The codec called ``name``; one shared instance per name, so that its caches serve every caller."""
    if name == HEIC444.name:
        return HEIC444()
    if name not in CODECS:
        raise ValueError(f"unknown codec {name!r}; choose one of {', '.join(CODECS)}")
    return CODECS[name]()


def check_image_size(name: str, image: np.ndarray) -> None:
    """One line naming the image when a codec cannot take it."""
    if image.ndim != 3 or image.shape[2] != 3 or min(image.shape[:2]) < MIN_SIDE:
        raise ValueError(f"{name}: {image.shape[1]}x{image.shape[0]} is too small for the codecs "
                         f"(each side must be at least {MIN_SIDE} pixels)")

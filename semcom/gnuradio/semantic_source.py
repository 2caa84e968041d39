"""GNU Radio block: semantic (deep-JSCC) frames of images as a complex sample stream.

Images come from a file or folder (``images``; ``''``: the bundled samples), sent once each or
again and again (``repeat``), and from PDUs on the ``image`` message port (u8vector of H*W*3 bytes
with ``height`` and ``width`` in the metadata), which go out after the frame in flight. With no
image to send the block outputs zeros; with ``repeat=False`` it ends the flowgraph after the last
file image plus ``2 * frame_length`` zeros (so that a sink downstream sees the last frame whole).
Every frame starts with a ``semcom_frame`` stream tag: a dict with ``seq``, ``image`` (its name)
and ``re_amplitude`` (amplitude per resource element; see ``level`` in :mod:`.common`).
"""

from __future__ import annotations

import collections

import numpy as np
import pmt
from gnuradio import gr

from ..ota import Transceiver, ofdm_for_radio
from .common import LEVELS, NamedImage, check_choice, image_from_pdu, image_list, leveled, load_jscc_model

IMAGE_PORT = "image"
FRAME_TAG = "semcom_frame"


class semantic_source(gr.sync_block):  # lower case: GNU Radio's naming
    """Semantic frames of images, for ever or once.

    :param model: zoo name or checkpoint path; ``runtime``: how it runs (see ``common.RUNTIMES``).
    :param images: image file or folder, ``''`` for the bundled samples, ``'none'`` for PDUs only.
    :param sample_rate: samples per second (sets the subcarrier spacing: ``sample_rate / 128``).
    :param tx_snr_db: the SNR the encoder is told (settable at run time).
    :param level: ``peak`` (peak 0.7, as ``semcom ota`` sends) or ``unit-re`` (unit energy per RE).
    :param spacing: zeros after each frame (samples), e.g. to interleave two sources on one channel.
    """

    def __init__(self, model="cnn", images="", sample_rate=1.92e6, tx_snr_db=10.0, repeat=True, level="peak",
                 runtime="torch", spacing=0):
        gr.sync_block.__init__(self, name="semcom_semantic_source", in_sig=None, out_sig=[np.complex64])
        check_choice("level", level, LEVELS)
        if sample_rate <= 0:
            raise ValueError(f"sample_rate must be > 0, got {sample_rate}")
        jscc, codec = load_jscc_model(model, runtime)
        self.trx = Transceiver(jscc, model, ofdm_for_radio(1, 1, sample_rate), codec=codec,
                               tx_snr_db=tx_snr_db)
        self._setup_stream(images, repeat, level, spacing)

    def _setup_stream(self, images: str, repeat: bool, level: str, spacing: int) -> None:
        if int(spacing) < 0:
            raise ValueError(f"spacing must be >= 0 samples, got {spacing}")
        self.level, self.repeat, self.spacing = level, bool(repeat), int(spacing)
        self.files = [] if images == "none" else image_list(images)
        self.queue: collections.deque[NamedImage] = collections.deque()
        self.seq, self.next_file = 0, 0
        self._frame, self._pos, self._tail = np.zeros(0, np.complex64), 0, None
        self.message_port_register_in(pmt.intern(IMAGE_PORT))
        self.set_msg_handler(pmt.intern(IMAGE_PORT), self.handle_image)

    def _encode(self, pixels: np.ndarray) -> np.ndarray:
        """[tx, n] complex64 frame of one image (the digital source overrides this)."""
        return self.trx.jscc_frame(pixels, self.seq)[0]

    def set_tx_snr_db(self, tx_snr_db: float) -> None:
        """The SNR (dB) the encoder is told, from the next frame on."""
        self.trx.tx_snr_db = float(tx_snr_db)

    def handle_image(self, msg) -> None:
        try:
            meta = pmt.to_python(pmt.car(msg)) or {}
            self.queue.append(NamedImage(str(meta.get("name", "pdu")),
                                         image_from_pdu(meta, pmt.u8vector_elements(pmt.cdr(msg)))))
        except Exception as exc:  # never out of a handler: log and drop
            self.logger.warn(f"image PDU dropped: {exc}")

    def _next_image(self) -> NamedImage | None:
        if self.queue:
            return self.queue.popleft()
        if self.next_file < len(self.files):
            image = self.files[self.next_file]
            self.next_file += 1
            if self.repeat and self.next_file == len(self.files):
                self.next_file = 0
            return image
        return None

    def _load_frame(self) -> bool:
        """The next frame into ``self._frame`` (tagged at the current output position); False when idle."""
        image = self._next_image()
        if image is None:
            return False
        try:
            frame = self._encode(image.pixels)
        except Exception as exc:  # e.g. an image size the model cannot take: log, skip
            self.logger.warn(f"image {image.name!r} skipped: {exc}")
            return True
        self._frame, scale = leveled(self.trx, frame, self.level)
        if self.spacing:
            self._frame = np.concatenate([self._frame, np.zeros(self.spacing, np.complex64)])
        self._pos = 0
        tag = {"seq": self.seq % 65536, "image": image.name, "re_amplitude": scale}
        self.add_item_tag(0, self.nitems_written(0) + self._written, pmt.intern(FRAME_TAG), pmt.to_pmt(tag))
        self.seq += 1
        return True

    def _finished(self) -> bool:
        return not self.repeat and not self.queue and self.next_file >= len(self.files) and len(self.files) > 0

    def work(self, input_items, output_items):
        out = output_items[0]
        self._written = 0
        while self._written < len(out):
            if self._pos >= len(self._frame):
                if self._finished():
                    return self._drain(out)
                if not self._load_frame():
                    out[self._written:] = 0  # idle: silence until an image arrives
                    return len(out)
                continue
            take = min(len(out) - self._written, len(self._frame) - self._pos)
            out[self._written:self._written + take] = self._frame[self._pos:self._pos + take]
            self._written += take
            self._pos += take
        return len(out)

    def _drain(self, out: np.ndarray) -> int:
        """Zeros after the last frame, then the end of the stream."""
        if self._tail is None:
            self._tail = 2 * max(len(self._frame), 1)
        if self._tail <= 0:
            return self._written if self._written else -1  # WORK_DONE
        take = min(len(out) - self._written, self._tail)
        out[self._written:self._written + take] = 0
        self._written += take
        self._tail -= take
        return self._written

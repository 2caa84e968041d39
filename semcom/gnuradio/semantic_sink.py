"""GNU Radio block: semantic (deep-JSCC) frames from a complex sample stream, decoded to images.

For every frame it decodes, the block posts

- on ``image``: a PDU, u8vector of the H*W*3 decoded bytes, metadata ``seq``, ``height``, ``width``;
- on ``metrics``: a dict with ``seq``, ``cfo_hz``, ``snr_est_db``, ``height``, ``width`` and, when a
  reference image of that size exists, ``image`` (its name), ``psnr_db`` and ``ssim``.

Frame ``seq`` is compared with reference image ``seq mod N`` of ``reference`` (the same list the
source sends; ``''``: the bundled samples; ``'none'``: no PSNR). ``output_dir`` (optional) gets one
PNG per frame; ``report`` (``'-'``: stdout, or a file) gets one JSON line with every frame's
metrics when the flowgraph stops. Errors are logged and their samples dropped: nothing is raised
out of ``work()``. Decoding is batched (see :mod:`.stream`).
"""

from __future__ import annotations

import collections

import numpy as np
import pmt
from gnuradio import gr

from ..ota import Transceiver, ofdm_for_radio
from .common import frame_result, image_list, load_jscc_model, save_image, write_report
from .stream import StreamReceiver

IMAGE_PORT = "image"
SEMANTIC_SCHEME = 0  # FrameHeader.scheme of deep-JSCC frames
RECENT_RESULTS = 100  # metrics kept without a report
METRICS_PORT = "metrics"


class semantic_sink(gr.sync_block):  # lower case: GNU Radio's naming
    """Finds, checks and decodes semantic frames; posts one image PDU and one metrics dict per frame.
    Frames of the digital baseline are counted (``other_frames``) and skipped.

    :param model: zoo name or checkpoint path (the transmitter's); ``runtime``: how it runs.
    :param sample_rate: samples per second, as at the source.
    :param reference: images to compare with (see the module docstring).
    :param output_dir: folder for decoded PNGs (``''``: none). :param report: see the module docstring.
    """

    SCHEME = SEMANTIC_SCHEME

    def __init__(self, model="cnn", sample_rate=1.92e6, reference="", output_dir="", report="", runtime="torch"):
        gr.sync_block.__init__(self, name="semcom_semantic_sink", in_sig=[np.complex64], out_sig=None)
        if sample_rate <= 0:
            raise ValueError(f"sample_rate must be > 0, got {sample_rate}")
        jscc, codec = load_jscc_model(model, runtime)
        self.trx = Transceiver(jscc, model, ofdm_for_radio(1, 1, sample_rate), codec=codec)
        self._setup_receiver(reference, output_dir, report)

    def _setup_receiver(self, reference: str, output_dir: str, report: str, baseline=None) -> None:
        self.references = [] if reference == "none" else image_list(reference)
        shapes = {r.pixels.shape for r in self.references} or {(32, 32, 3)}
        self.frame_length = max(self._length(np.zeros(shape, np.uint8)) for shape in shapes)
        self.receiver = StreamReceiver(self.trx, self.frame_length, baseline)
        self.output_dir, self.report = output_dir, report
        # every frame's metrics for the report; without one, only the latest (a GUI may run for hours)
        self.results = [] if report else collections.deque(maxlen=RECENT_RESULTS)
        self.undecoded: dict = {}  # why frames found were not decoded -> count
        self.other_frames = 0
        self.message_port_register_out(pmt.intern(IMAGE_PORT))
        self.message_port_register_out(pmt.intern(METRICS_PORT))

    def _length(self, pixels: np.ndarray) -> int:
        """Samples of a frame of an image like ``pixels`` (the digital sink overrides this)."""
        return self.trx.jscc_frame(pixels, 0)[0].shape[-1]

    def work(self, input_items, output_items):
        try:
            self._publish(self.receiver.push(input_items[0]))
        except Exception as exc:  # never out of work(): log, drop, go on
            self.logger.warn(f"samples dropped: {type(exc).__name__}: {exc}")
        return len(input_items[0])

    def stop(self):
        try:
            self._publish(self.receiver.flush())
        except Exception as exc:
            self.logger.warn(f"last samples dropped: {type(exc).__name__}: {exc}")
        if self.receiver.dropped_samples:
            self.logger.warn(f"{self.receiver.dropped_samples} samples dropped: decoding was slower than the stream")
        write_report(list(self.results), self.report, dropped_samples=self.receiver.dropped_samples,
                     undecoded=self.undecoded, other_frames=self.other_frames)
        return True

    def _publish(self, received: list) -> None:
        for rec in received:
            if rec.header is not None and rec.header.scheme != self.SCHEME:
                self.other_frames += 1  # the other chain's frame (side-by-side on one channel)
                continue
            if rec.image is None:
                self.undecoded[rec.error] = self.undecoded.get(rec.error, 0) + 1
                continue
            seq = rec.header.seq
            reference = self.references[seq % len(self.references)] if self.references else None
            result = frame_result(rec, reference)
            self.results.append(result)
            meta = pmt.to_pmt({"seq": seq, "height": rec.header.height, "width": rec.header.width})
            self.message_port_pub(pmt.intern(IMAGE_PORT), pmt.cons(meta, pmt.init_u8vector(rec.image.size,
                                                                                             rec.image.ravel())))
            self.message_port_pub(pmt.intern(METRICS_PORT), pmt.to_pmt(result))
            if self.output_dir:
                save_image(rec.image, self.output_dir, f"frame{seq:05d}")

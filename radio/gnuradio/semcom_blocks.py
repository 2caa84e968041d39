"""GNU Radio blocks around semcom-sdr's public API (needs GNU Radio 3.10 and
numpy < 2 in the same Python: see the README).

- ``jscc_frame_source``: emits semantic frames of an image, one after another
  (preamble + header + OFDM body + gap), as complex samples.
- ``jscc_frame_sink``: receives them, and for every frame it decodes posts a
  message on its ``frames`` port: a dict with ``seq``, ``cfo_hz``,
  ``snr_est_db``, ``psnr_db`` (against the reference image) and the image size.
  It decodes whatever has arrived (up to ``BATCH_FRAMES`` frames) in one pass of
  ``Transceiver.receive_all``, so when it falls behind, batches grow and decoding
  catches up; past ``MAX_BACKLOG_FRAMES`` the oldest samples are dropped (and
  counted in ``dropped_samples``) so that memory stays bounded. Errors are
  logged and the samples dropped; nothing is raised out of ``work()``.
"""

import numpy as np
import pmt
from gnuradio import gr

from semcom.data import load_images, sample_images_dir, to_tensor
from semcom.metrics import psnr
from semcom.ota import Transceiver, ofdm_for_radio
from semcom.runtime import make_codec
from semcom.zoo import load_model

FRAMES_PORT = "frames"
BATCH_FRAMES = 16  # at most this many frames per receive_all call
MAX_BACKLOG_FRAMES = 64  # beyond this backlog the oldest samples are dropped


def _image(path: str) -> np.ndarray:
    return load_images(path if path else sample_images_dir()).images[0]


class jscc_frame_source(gr.sync_block):  # noqa: N801 (GNU Radio's naming)
    """Semantic frames of ``image`` (a path; empty: a bundled sample), for ever."""

    def __init__(self, model="cnn", image="", sample_rate=1.92e6, tx_snr_db=10.0):
        gr.sync_block.__init__(self, name="semcom_jscc_frame_source", in_sig=None, out_sig=[np.complex64])
        self.trx = Transceiver(load_model(model), model, ofdm_for_radio(1, 1, sample_rate), tx_snr_db=tx_snr_db)
        self.picture = _image(image)
        self.seq = 0
        self._frame = self._make()
        self._pos = 0

    def _make(self) -> np.ndarray:
        frame, _ = self.trx.jscc_frame(self.picture, self.seq)
        self.seq += 1
        return frame[0]

    def work(self, input_items, output_items):
        out = output_items[0]
        done = 0
        while done < len(out):
            take = min(len(out) - done, len(self._frame) - self._pos)
            out[done:done + take] = self._frame[self._pos:self._pos + take]
            done += take
            self._pos += take
            if self._pos == len(self._frame):
                self._frame, self._pos = self._make(), 0
        return len(out)


class jscc_frame_sink(gr.sync_block):  # noqa: N801
    """Decodes semantic frames and posts one message per frame on ``frames``."""

    def __init__(self, model="cnn", image="", sample_rate=1.92e6, runtime="torch"):
        gr.sync_block.__init__(self, name="semcom_jscc_frame_sink", in_sig=[np.complex64], out_sig=None)
        self.message_port_register_out(pmt.intern(FRAMES_PORT))
        net = load_model(model)
        self.trx = Transceiver(net, model, ofdm_for_radio(1, 1, sample_rate), codec=make_codec(net, runtime))
        self.reference = _image(image)
        frame, _ = self.trx.jscc_frame(self.reference, 0)
        self.frame_length = frame.shape[-1]
        self._buffer = np.zeros(0, np.complex64)
        self.decoded = 0
        self.dropped_samples = 0

    def work(self, input_items, output_items):
        length = self.frame_length
        self._buffer = np.concatenate([self._buffer, input_items[0]])
        if len(self._buffer) > MAX_BACKLOG_FRAMES * length:  # decoding is behind the stream
            excess = len(self._buffer) - BATCH_FRAMES * length
            if not self.dropped_samples:
                gr.log.warn("semcom_jscc_frame_sink: decoding slower than the stream, dropping samples")
            self.dropped_samples += excess
            self._buffer = self._buffer[excess:]
        while len(self._buffer) >= 2 * length:
            chunk = self._buffer[: BATCH_FRAMES * length]
            keep = self._receive(chunk)
            if keep <= 0 and len(chunk) == BATCH_FRAMES * length:
                keep = length  # a frame longer than a whole batch: skip it
            self._buffer = self._buffer[max(keep, 0):]
            if len(chunk) < BATCH_FRAMES * length:
                break  # everything that has arrived is read: wait for more
        return len(input_items[0])

    def _receive(self, chunk: np.ndarray) -> int:
        """Decode every frame of ``chunk``, post one message each; returns where the unread part
        starts (a frame cut by the chunk's end, or the last frame length, whose preamble may be cut)."""
        keep_from = len(chunk) - self.frame_length
        try:
            received = self.trx.receive_all(chunk)
        except Exception as exc:  # never out of work(): log, drop, go on
            gr.log.warn(f"semcom_jscc_frame_sink: {type(exc).__name__}: {exc}")
            return keep_from
        for rec in received:
            if rec.truncated:
                return rec.frame_start
            keep_from = max(keep_from, rec.frame_start + self.trx.preamble.length)  # never find it twice
            if rec.image is not None:
                self._post(rec)
        return keep_from

    def _post(self, rec) -> None:
        value = {"seq": rec.header.seq, "cfo_hz": float(rec.cfo_hz), "snr_est_db": float(rec.snr_est_db),
                 "height": rec.header.height, "width": rec.header.width}
        if rec.image.shape == self.reference.shape:
            value["psnr_db"] = float(psnr(to_tensor(rec.image), to_tensor(self.reference)))
        self.decoded += 1
        self.message_port_pub(pmt.intern(FRAMES_PORT), pmt.to_pmt(value))

"""GNU Radio block: iterative clipping and filtering (``phy.papr.clip_and_filter``) of the OFDM
symbols of semcom frames on a complex stream, to lower their peak-to-average power ratio.

The block needs the ``semcom_frame`` tags of a semcom source (put it right after the source,
before a PA or radio): from each tag it knows where the frame's OFDM symbols start (after the
preamble, which passes untouched, as do untagged samples). Each symbol loses its cyclic prefix,
is clipped at ``clip_ratio_db`` above its RMS and filtered back to the used subcarriers
(``iterations`` times), and gets its cyclic prefix again. The stream is delayed by one OFDM symbol.
"""

from __future__ import annotations

import numpy as np
import pmt
import torch
from gnuradio import gr

from phy.papr import clip_and_filter
from phy.sync import Preamble

from ..ota import ofdm_for_radio

FRAME_TAG = "semcom_frame"  # put by semantic_source / digital_source at each frame start


class clip_filter(gr.sync_block):  # lower case: GNU Radio's naming
    """Clipping and filtering of each OFDM symbol of tagged semcom frames.

    :param sample_rate: samples per second, as at the source.
    :param clip_ratio_db: clipping level above each symbol's RMS amplitude, in dB (settable).
    :param iterations: clip-then-filter passes (>= 1).
    """

    def __init__(self, sample_rate=1.92e6, clip_ratio_db=4.0, iterations=1):
        gr.sync_block.__init__(self, name="semcom_clip_filter", in_sig=[np.complex64], out_sig=[np.complex64])
        if sample_rate <= 0 or int(iterations) < 1:
            raise ValueError(f"need sample_rate > 0 and iterations >= 1, got {sample_rate}, {iterations}")
        self.ofdm = ofdm_for_radio(1, 1, sample_rate)
        self.preamble_length = Preamble(self.ofdm).length
        self.iterations = int(iterations)
        self.set_clip_ratio_db(clip_ratio_db)
        self.delay = self.ofdm.symbol_length
        self.set_tag_propagation_policy(gr.TPP_DONT)  # tags are moved by the delay here, explicitly
        self._tags: list = []  # (output offset, key, value) not yet written
        self._buf = np.zeros(self.delay, np.complex64)  # samples from absolute index self._buf0 - delay
        self._buf0 = -self.delay
        self._next = None  # absolute index of the next symbol to process (None: outside a frame)
        self._frames: list[int] = []  # frame starts (absolute) not yet reached by the symbol grid
        self.symbols = 0

    def set_clip_ratio_db(self, clip_ratio_db: float) -> None:
        """Clipping level above the RMS amplitude, in dB (> 0)."""
        if not float(clip_ratio_db) > 0:
            raise ValueError(f"clip_ratio_db must be > 0, got {clip_ratio_db}")
        self.clip_ratio_db = float(clip_ratio_db)

    def work(self, input_items, output_items):
        x, out = input_items[0], output_items[0]
        n = len(out)
        first = self.nitems_read(0)
        for tag in self.get_tags_in_window(0, 0, n):
            if pmt.eq(tag.key, pmt.intern(FRAME_TAG)):
                self._frames.append(tag.offset)
            self._tags.append((tag.offset + self.delay, tag.key, tag.value))
        self._buf = np.concatenate([self._buf, x])
        try:
            self._process(first + n)
        except Exception as exc:  # never out of work(): log and pass the samples unchanged
            self.logger.warn(f"{type(exc).__name__}: {exc}")
            self._next = None
        start = self.nitems_written(0) - self.delay  # absolute input index of out[0]
        while self._tags and self._tags[0][0] < start + self.delay + n:
            self.add_item_tag(0, *self._tags.pop(0))
        out[:] = self._buf[start - self._buf0:start - self._buf0 + n]
        keep = min(start + n, self._next if self._next is not None else start + n)
        self._buf, self._buf0 = self._buf[keep - self._buf0:], keep
        return n

    def _process(self, end: int) -> None:
        """Clip and filter every whole symbol that ends before ``end`` (absolute)."""
        length = self.ofdm.symbol_length
        while True:
            if self._frames and (self._next is None or self._frames[0] < self._next + length):
                self._next = self._frames.pop(0) + self.preamble_length  # a new frame: its symbol grid
            if self._next is None:
                return
            stop = self._frames[0] if self._frames else end  # the next frame's preamble is not a symbol
            count = (min(stop, end) - self._next) // length
            if count <= 0:
                return
            lo = self._next - self._buf0
            sym = self._buf[lo:lo + count * length].reshape(count, length)
            self._buf[lo:lo + count * length] = self._clip(sym).reshape(-1)
            self._next += count * length
            self.symbols += count
            if not self._frames:
                return

    def _clip(self, sym: np.ndarray) -> np.ndarray:
        """[T, symbol_length] -> the same, clipped and filtered (cyclic prefix rebuilt)."""
        cfg = self.ofdm
        body = torch.from_numpy(np.ascontiguousarray(sym[:, cfg.cp_length:]))
        grid = torch.fft.fftshift(torch.fft.fft(body, norm="ortho"), dim=-1)
        used = torch.as_tensor(cfg.used_subcarriers)
        grid = clip_and_filter(grid, cfg.fft_size, used, self.clip_ratio_db, self.iterations)
        y = torch.fft.ifft(torch.fft.ifftshift(grid, dim=-1), norm="ortho").numpy().astype(np.complex64)
        return np.concatenate([y[:, cfg.fft_size - cfg.cp_length:], y], axis=-1)

"""GNU Radio block: frame synchronisation (``phy.sync``) on a complex stream, as tags and messages.

The samples pass through unchanged, delayed by ``lookahead`` samples (the preamble must be whole
before it can be found). At the first sample of every preamble found the block puts a
``semcom_sync`` tag, and posts the same dict on the ``sync`` port: ``offset`` (absolute sample
index), ``cfo_hz``, ``snr_db`` (Es/N0 per resource element from the LTF), ``noise_var`` and
``metric`` (Schmidl-Cox plateau, 0..1). On ``constellation`` it posts the frame header's
CFO-corrected, LTF-equalised BPSK symbols (a c32vector PDU), for a constellation display.
"""

from __future__ import annotations

import numpy as np
import pmt
import torch
from gnuradio import gr

from phy.frame import header_symbols, ltf_channel
from phy.sync import FrameSearch, Preamble, correct_cfo

from ..ota import ofdm_for_radio

SYNC_TAG = "semcom_sync"
SYNC_PORT = "sync"
CONSTELLATION_PORT = "constellation"


class frame_sync(gr.sync_block):  # lower case: GNU Radio's naming
    """Detection, timing, CFO and SNR estimates of semcom frames.

    :param sample_rate: samples per second (the numerology of ``semcom.ota.ofdm_for_radio``).
    :param threshold: Schmidl-Cox metric level (0..1) for a detection (settable).
    """

    def __init__(self, sample_rate=1.92e6, threshold=0.2):
        gr.sync_block.__init__(self, name="semcom_frame_sync", in_sig=[np.complex64], out_sig=[np.complex64])
        if sample_rate <= 0:
            raise ValueError(f"sample_rate must be > 0, got {sample_rate}")
        self.ofdm = ofdm_for_radio(1, 1, sample_rate)
        self.preamble, self.fs = Preamble(self.ofdm), float(sample_rate)
        self.set_threshold(threshold)
        n_header = header_symbols(self.ofdm) * self.ofdm.symbol_length
        self.lookahead = self.preamble.length + n_header + 4 * self.ofdm.fft_size
        self._buffer = np.zeros(self.lookahead, np.complex64)  # the delay line
        self.declare_sample_delay(self.lookahead)
        self.detections = 0
        self.message_port_register_out(pmt.intern(SYNC_PORT))
        self.message_port_register_out(pmt.intern(CONSTELLATION_PORT))

    def set_threshold(self, threshold: float) -> None:
        """Detection threshold (0..1) of the Schmidl-Cox metric."""
        if not 0.0 < float(threshold) < 1.0:
            raise ValueError(f"threshold must be in (0, 1), got {threshold}")
        self.threshold = float(threshold)

    def work(self, input_items, output_items):
        x, out = input_items[0], output_items[0]
        n = len(out)
        self._buffer = np.concatenate([self._buffer, x])
        first = self.nitems_written(0)  # absolute index of self._buffer[0] in the output stream
        try:
            self._search(n, first)
        except Exception as exc:  # never out of work(): log, go on
            self.logger.warn(f"search skipped: {type(exc).__name__}: {exc}")
        out[:] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n

    def _search(self, n: int, first: int) -> None:
        """Tag and post every preamble that starts in the first ``n`` buffered samples."""
        search = FrameSearch(self._buffer, self.preamble, self.fs, self.threshold)
        pos = 0
        while (det := search.find(pos)) is not None and det.preamble_start < n:
            pos = det.start
            if det.preamble_start < 0:
                continue
            info = {"offset": first + det.preamble_start, "cfo_hz": round(det.cfo_hz, 1),
                    "snr_db": round(det.snr_db, 2), "noise_var": float(det.noise_var), "metric": round(det.metric, 3)}
            self.add_item_tag(0, first + det.preamble_start, pmt.intern(SYNC_TAG), pmt.to_pmt(info))
            self.message_port_pub(pmt.intern(SYNC_PORT), pmt.to_pmt(info))
            symbols = self._header_constellation(search.samples, det)
            if symbols is not None:
                self.message_port_pub(pmt.intern(CONSTELLATION_PORT),
                                      pmt.cons(pmt.PMT_NIL, pmt.init_c32vector(len(symbols), symbols)))
            self.detections += 1

    def _header_constellation(self, y: torch.Tensor, det) -> np.ndarray | None:
        """The header's equalised symbols [n_sym * U] complex64, or None when the header is not whole."""
        cfg, n_fft = self.ofdm, self.ofdm.fft_size
        n_sym = header_symbols(cfg)
        ltf_start = det.start - 2 * n_fft
        end = det.start + n_sym * cfg.symbol_length
        if end > y.shape[-1]:
            return None
        front = correct_cfo(y[:, ltf_start:end], det.cfo_hz, self.fs, first_index=ltf_start)
        h = ltf_channel(front, 0, self.preamble)  # [rx, N]
        used = torch.as_tensor(cfg.used_subcarriers)
        sym = front[:, 2 * n_fft:].reshape(y.shape[0], n_sym, cfg.symbol_length)[..., cfg.cp_length:]
        grid = torch.fft.fftshift(torch.fft.fft(sym, norm="ortho"), dim=-1)[..., used]  # [rx, n_sym, U]
        hu = h[:, None, used]
        z = (hu.conj() * grid).sum(0) / hu.abs().square().sum(0).clamp_min(1e-12)  # ZF/MRC per RE
        return z.reshape(-1).numpy().astype(np.complex64)

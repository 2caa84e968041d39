"""GNU Radio block: digital-baseline frames (codec + 5G LDPC + QAM) from a complex sample stream,
decoded to images. Ports, ``reference``, ``output_dir`` and ``report`` work as in
:mod:`.semantic_sink`; a frame whose LDPC codeword fails its CRC gives the baseline's fallback image
and ``"failed": true`` in its metrics. One image size per stream (``height`` x ``width``), and the
codec, MCS and budget model of the digital source. Needs Sionna (5G LDPC) in GNU Radio's Python.
"""

from __future__ import annotations

import numpy as np
from gnuradio import gr

from ..ota import Transceiver, ofdm_for_radio
from .common import load_jscc_model
from .digital_source import make_baseline
from .semantic_sink import semantic_sink

DIGITAL_SCHEME = 1  # FrameHeader.scheme of digital-baseline frames


class digital_sink(semantic_sink):  # lower case: GNU Radio's naming
    """Finds, checks and decodes digital-baseline frames; one image PDU and one metrics dict each.

    :param codec / mcs / budget_model: as at :class:`.digital_source.digital_source`.
    :param height / width: the image size sent.
    Other parameters: as :class:`.semantic_sink.semantic_sink`. Semantic frames are counted and skipped.
    """

    SCHEME = DIGITAL_SCHEME

    def __init__(self, codec="jpeg", mcs="ldpc1/2-16qam", budget_model="cnn", height=32, width=32,
                 sample_rate=1.92e6, reference="", output_dir="", report=""):
        gr.sync_block.__init__(self, name="semcom_digital_sink", in_sig=[np.complex64], out_sig=None)
        if sample_rate <= 0 or height <= 0 or width <= 0:
            raise ValueError(f"sample_rate, height and width must be > 0, got {sample_rate}, {height}, {width}")
        self.trx = Transceiver(load_jscc_model(budget_model)[0], budget_model, ofdm_for_radio(1, 1, sample_rate))
        self.baseline = make_baseline(self.trx, codec, mcs, int(height), int(width))
        self._setup_receiver(reference, output_dir, report, self.baseline)

    def _length(self, pixels: np.ndarray) -> int:
        return self.trx.digital_frame(pixels, 0, self.baseline)[0].shape[-1]

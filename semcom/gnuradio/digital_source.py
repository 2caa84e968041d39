"""GNU Radio block: digital-baseline frames (source codec + 5G LDPC + QAM, the semantic frames'
framing and OFDM) of images as a complex sample stream, for side-by-side runs with the semantic
source. Images, PDUs, ``repeat``, ``level`` and the ``semcom_frame`` tags work as in
:mod:`.semantic_source`. The baseline gets the channel-use budget of the JSCC model ``budget_model``
at each image's size, as ``semcom ota`` gives it. Needs Sionna (5G LDPC) in GNU Radio's Python.
"""

from __future__ import annotations

import numpy as np
from gnuradio import gr

from phy.digital import LEGACY_MCS as MCS

from ..baseline import CODECS, DigitalBaseline, parse_scheme
from ..ota import Transceiver, ofdm_for_radio
from .common import LEVELS, check_choice, load_jscc_model
from .semantic_source import semantic_source


def make_baseline(trx, codec: str, mcs: str, height: int, width: int) -> DigitalBaseline:
    """The baseline ``codec`` + ``mcs`` at the budget of ``trx``'s model for H x W images."""
    check_choice("codec", codec, tuple(CODECS))
    check_choice("mcs", mcs, MCS)
    _, rate, modulation = parse_scheme(f"{codec}+{mcs}")
    return DigitalBaseline(codec, trx.model.num_symbols(height, width), modulation, rate)


class digital_source(semantic_source):  # lower case: GNU Radio's naming
    """Digital-baseline frames of images, for ever or once.

    :param codec: ``jpeg``, ``webp`` or ``heic``; ``mcs``: e.g. ``ldpc1/2-16qam`` (see ``phy.digital.LEGACY_MCS``).
    :param budget_model: the JSCC model whose channel uses per image the baseline gets.
    Other parameters: as :class:`.semantic_source.semantic_source`.
    """

    def __init__(self, codec="jpeg", mcs="ldpc1/2-16qam", budget_model="cnn", images="", sample_rate=1.92e6,
                 repeat=True, level="peak", spacing=0):
        gr.sync_block.__init__(self, name="semcom_digital_source", in_sig=None, out_sig=[np.complex64])
        check_choice("level", level, LEVELS)
        if sample_rate <= 0:
            raise ValueError(f"sample_rate must be > 0, got {sample_rate}")
        self.trx = Transceiver(load_jscc_model(budget_model)[0], budget_model, ofdm_for_radio(1, 1, sample_rate))
        self.codec, self.mcs = codec, mcs
        self._baselines = {}
        make_baseline(self.trx, codec, mcs, 32, 32)  # checks codec, MCS and Sionna now, not in work()
        self._setup_stream(images, repeat, level, spacing)

    def _encode(self, pixels: np.ndarray) -> np.ndarray:
        size = pixels.shape[:2]
        if size not in self._baselines:
            self._baselines[size] = make_baseline(self.trx, self.codec, self.mcs, *size)
        frame, _ = self.trx.digital_frame(pixels, self.seq, self._baselines[size])
        return frame



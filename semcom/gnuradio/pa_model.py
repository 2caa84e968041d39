"""GNU Radio block: a power-amplifier model (``phy.pa``) on a complex stream, at an input back-off
(IBO) settable at run time.

``phy.pa`` sets the IBO against the mean power of the block it is given; a stream has no block, so
here the IBO is taken against a fixed ``reference_power`` (the mean power of the signal when it is
on): the input is scaled so that ``reference_power`` sits ``ibo_db`` below the saturation power,
goes through the model's curve, and is scaled back. For frames of the semantic source:
``reference_power`` = 72/128 = 0.5625 with ``level="unit-re"``; measure it for ``level="peak"``.
The memory polynomial keeps its memory across calls of ``work()``.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from gnuradio import gr

from phy.pa import make_pa

from .common import check_choice

PA_MODELS = ("rapp", "saleh", "soft-limiter", "memory-polynomial")


class pa_model(gr.sync_block):  # lower case: GNU Radio's naming
    """Rapp, Saleh, soft limiter or memory-polynomial PA.

    :param model: one of ``PA_MODELS``. :param ibo_db: input back-off in dB (settable).
    :param reference_power: mean input power the IBO refers to (> 0).
    :param smoothness: Rapp's p (used by ``rapp`` only).
    """

    def __init__(self, model="rapp", ibo_db=6.0, reference_power=0.5625, smoothness=3.0):
        gr.sync_block.__init__(self, name="semcom_pa_model", in_sig=[np.complex64], out_sig=[np.complex64])
        self.model = check_choice("model", model, PA_MODELS)
        if reference_power <= 0:
            raise ValueError(f"reference_power must be > 0, got {reference_power}")
        self.reference_power, self.smoothness = float(reference_power), float(smoothness)
        self._history = np.zeros(0, np.complex64)
        self._build(ibo_db)

    def _build(self, ibo_db: float) -> None:
        kwargs = {"smoothness": self.smoothness} if self.model == "rapp" else {}
        self.pa = make_pa(self.model, float(ibo_db), **kwargs)  # validates ibo_db
        self.ibo_db = float(ibo_db)
        self.scale = math.sqrt(10.0 ** (-self.ibo_db / 10.0) / self.reference_power)
        depth = self.pa.coefficients.shape[1] if self.model == "memory-polynomial" else 1
        self._memory = depth - 1

    def set_ibo_db(self, ibo_db: float) -> None:
        """The input back-off in dB, from the next samples on; an invalid value is logged and ignored."""
        try:
            self._build(ibo_db)
        except (TypeError, ValueError) as exc:
            self.logger.warn(f"IBO unchanged ({self.ibo_db} dB): {exc}")

    def work(self, input_items, output_items):
        x, out = input_items[0], output_items[0]
        try:
            padded = np.concatenate([self._history, x])
            y = self.pa.curve(torch.from_numpy(padded * self.scale)).numpy() / self.scale
            out[:] = y[len(self._history):]
            self._history = padded[len(padded) - self._memory:] if self._memory else self._history[:0]
        except Exception as exc:  # never out of work(): log and pass silence
            self.logger.warn(f"{type(exc).__name__}: {exc}")
            out[:] = 0
        return len(out)

"""Mosaic mode: the published CIFAR-10 BPG + LDPC baseline's rule (SemViT, ``bpg-ldpc.ipynb``).

That notebook codes a batch of ``b`` test images as one picture (``utils.image.imBatchtoImage``:
``rows`` = the largest divisor of ``b`` not above ``sqrt(b)``, ``b / rows`` images per row), encodes it
with ``bpgenc -f 444`` at the lowest QP whose file fits ``b * 3072 * ratio * bits / 8`` bytes plus 22
free header bytes (``bits``: the MCS's information bits per channel use, or ``log2(1 + SNR)`` at
capacity), and takes PSNR over the whole picture, averaged weighted by ``b``. Here:

* :func:`tile_mosaics` tiles ``rows x cols`` images per picture and the smaller last group as
  ``imBatchtoImage`` does (16 -> 4x4, 784 -> 28x28);
* :class:`MosaicSearch` is :class:`semcom.digital.DigitalSearch` with that byte budget: what is sent
  (frame header + payload) fits the published file budget; a transport block that carries it is
  stretched by the few channel uses the 22 bytes and the TB's CRCs take (the notebook, too, sends
  whole LDPC codewords of the padded file).
"""

from __future__ import annotations

import math

import numpy as np

from phy.digital import tb_size

from .baseline import FRAME_OVERHEAD_BYTES
from .digital import DigitalSearch

FREE_HEADER_BYTES = 22  # the notebook's allowance for BPG's header, on top of the budget


def group_shape(count: int) -> tuple[int, int]:
    """imBatchtoImage's layout of ``count`` images: (rows, images per row), rows the largest divisor of
    ``count`` not above its square root."""
    rows = math.isqrt(count)
    while count % rows:
        rows -= 1
    return rows, count // rows


def tile_mosaics(images: np.ndarray, grid: tuple[int, int] = (8, 8)) -> tuple[list[np.ndarray], np.ndarray]:
    """uint8 [N, h, w, 3] -> (pictures of ``rows x cols`` images, row-major, each [rows*h, cols*w, 3];
    images per picture). The last, smaller group is laid out by :func:`group_shape` (no padding)."""
    rows, cols = grid
    per = rows * cols
    mosaics, counts = [], []
    for start in range(0, len(images), per):
        batch = images[start:start + per]
        r, c = (rows, cols) if len(batch) == per else group_shape(len(batch))
        h, w = batch.shape[1:3]
        mosaics.append(batch.reshape(r, c, h, w, 3).transpose(0, 2, 1, 3, 4).reshape(r * h, c * w, 3))
        counts.append(len(batch))
    return mosaics, np.array(counts)


def published_bytes(num_symbols: int, bits_per_symbol: float) -> int:
    """Payload bytes the published rule allows a picture of ``num_symbols`` channel uses at
    ``bits_per_symbol``: ``num_symbols * bits / 8`` plus the 22 free bytes, less our frame header."""
    return int(num_symbols * bits_per_symbol / 8) + FREE_HEADER_BYTES - FRAME_OVERHEAD_BYTES


class MosaicSearch(DigitalSearch):
    """:class:`semcom.digital.DigitalSearch` under the published per-picture byte budget."""

    def payload_budget(self, num_symbols: int, mcs):
        need = published_bytes(num_symbols, mcs.spectral_efficiency)
        n = num_symbols
        while (short := need + FRAME_OVERHEAD_BYTES - tb_size(n, mcs) // 8) > 0:
            n += max(1, math.ceil(8 * short / mcs.spectral_efficiency))
        chain = self.chain(n, mcs)
        return (chain, need) if chain is not None else (None, 0)

    def capacity_budget(self, num_symbols: int, snr_db: float) -> int:
        return published_capacity_bytes(num_symbols, snr_db)


def published_capacity_bytes(num_symbols: int, snr_db: float) -> int:
    """:func:`published_bytes` at ``log2(1 + SNR)`` bits per channel use."""
    return published_bytes(num_symbols, math.log2(1 + 10 ** (snr_db / 10)))

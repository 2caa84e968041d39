"""Mapping of any number of complex symbols onto an OFDM resource grid, and back.

A frame is ``num_slots`` consecutive slots of the :class:`OFDMConfig`. The
symbols fill the data resource elements (REs) of all streams; the last slot is
zero-padded and the padding is stripped again at the receiver. An optional
fixed pseudo-random interleaver spreads neighbouring symbols over subcarriers,
OFDM symbols and streams (the seed paper's shuffling).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .config import OFDMConfig


class ResourceGrid(nn.Module):
    """Index tables and pilots for a frame carrying ``num_symbols`` symbols.

    Buffers: ``pilots`` [streams, T, N] complex (zero off the stream's pilot
    REs), ``data_ind`` [n_data] flat indices into the [T, N] plane, and the
    interleaver ``perm`` / ``inv_perm`` over streams * n_data positions.
    """

    def __init__(self, cfg: OFDMConfig, num_symbols: int, interleave: bool = False, seed: int = 0):
        super().__init__()
        if int(num_symbols) < 1:
            raise ValueError(f"num_symbols must be >= 1, got {num_symbols}")
        self.cfg = cfg
        self.num_symbols = int(num_symbols)
        self.num_slots = cfg.num_slots(num_symbols)
        self.num_ofdm_symbols = self.num_slots * cfg.num_ofdm_symbols  # T
        self.interleave = interleave
        used = cfg.used_subcarriers
        slot_starts = np.arange(self.num_slots) * cfg.num_ofdm_symbols
        self.data_symbol_idx = np.sort((slot_starts[:, None] + np.array(cfg.data_symbols)[None]).ravel())
        self.pilot_symbol_idx = np.sort((slot_starts[:, None] + np.array(cfg.pilot_symbols)[None]).ravel())
        data_ind = (self.data_symbol_idx[:, None] * cfg.fft_size + used[None, :]).ravel()
        self.register_buffer("data_ind", torch.as_tensor(data_ind, dtype=torch.long), persistent=False)
        self.n_data = len(data_ind)
        capacity = self.n_data * cfg.num_streams
        self.num_padding = capacity - self.num_symbols

        rng = np.random.default_rng(seed)
        pilots = np.zeros((cfg.num_streams, self.num_ofdm_symbols, cfg.fft_size), dtype=np.complex64)
        amp = np.sqrt(cfg.num_streams / 2.0)  # one stream per pilot RE at power num_streams
        for t in self.pilot_symbol_idx:
            qpsk = amp * (rng.choice([-1.0, 1.0], len(used)) + 1j * rng.choice([-1.0, 1.0], len(used)))
            for j, n in enumerate(used):
                pilots[j % cfg.num_streams, t, n] = qpsk[j]
        self.register_buffer("pilots", torch.from_numpy(pilots), persistent=False)
        perm = rng.permutation(capacity) if interleave else np.arange(capacity)
        self.register_buffer("perm", torch.as_tensor(perm, dtype=torch.long), persistent=False)
        self.register_buffer("inv_perm", torch.as_tensor(np.argsort(perm), dtype=torch.long), persistent=False)

    @property
    def shape(self) -> tuple[int, int, int]:
        """(streams, T, N) of one frame."""
        return self.cfg.num_streams, self.num_ofdm_symbols, self.cfg.fft_size

    def pilot_positions(self, stream: int) -> tuple[np.ndarray, np.ndarray]:
        """(pilot symbol indices, used-subcarrier positions 0..n_used-1) of ``stream``'s comb."""
        cols = np.arange(stream, self.cfg.num_used_subcarriers, self.cfg.num_streams)
        return self.pilot_symbol_idx, cols


class ResourceGridMapper(nn.Module):
    """Symbols -> resource grid with pilots.

    :input s: [batch, num_symbols], complex.
    :output: [batch, streams, T, N], complex: unit average power per stream
        on data and pilot symbols, zeros on guards, DC and padding.
    """

    def __init__(self, grid: ResourceGrid):
        super().__init__()
        self.grid = grid

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        g = self.grid
        if not s.is_complex() or s.dim() != 2 or s.shape[1] != g.num_symbols:
            raise ValueError(f"mapper expects complex [batch, {g.num_symbols}], got {tuple(s.shape)} {s.dtype}")
        if not torch.isfinite(torch.view_as_real(s)).all():
            raise ValueError("mapper input contains NaN or Inf symbols")
        batch = s.shape[0]
        streams, t, n = g.shape
        padded = torch.nn.functional.pad(s, (0, g.num_padding))[:, g.perm]  # [B, streams * n_data]
        per_stream = padded.view(batch, g.n_data, streams).transpose(1, 2)  # [B, streams, n_data]
        flat = torch.zeros(batch, streams, t * n, dtype=s.dtype, device=s.device)
        flat = flat.index_copy(2, g.data_ind, per_stream)
        return flat.view(batch, streams, t, n) + g.pilots


class ResourceGridDemapper(nn.Module):
    """Resource grid -> symbols (inverse of :class:`ResourceGridMapper`).

    :input x: [batch, streams, T, N], complex (or real, e.g. noise variances).
    :output: [batch, num_symbols], same dtype.
    """

    def __init__(self, grid: ResourceGrid):
        super().__init__()
        self.grid = grid

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g = self.grid
        if tuple(x.shape[1:]) != g.shape:
            raise ValueError(f"demapper expects [batch, {', '.join(map(str, g.shape))}], got {tuple(x.shape)}")
        batch = x.shape[0]
        per_stream = x.reshape(batch, g.shape[0], -1).index_select(2, g.data_ind)  # [B, streams, n_data]
        flat = per_stream.transpose(1, 2).reshape(batch, -1)[:, g.inv_perm]
        return flat[:, :g.num_symbols]

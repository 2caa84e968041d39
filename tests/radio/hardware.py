"""What the hardware tests (``--hw``) share: the radio's address from the environment, a cabled loopback."""

from __future__ import annotations

import os

import numpy as np
import pytest


def hardware_address(env: str, example: str) -> str:
    """The device address in ``$env``; the test is skipped without one (nothing is assumed)."""
    value = os.environ.get(env)
    if not value:
        pytest.skip(f"set {env}, e.g. {example}")
    return value


def loopback_level(radio, amplitude: float, n_tx: int, n_rx: int) -> float:
    """Open ``radio`` (TX cabled to RX), send a constant cyclically, and return the mean |sample| received."""
    with radio as r:
        r.tx(np.full(n_tx, amplitude + 0j, np.complex64), cyclic=True)
        return float(np.abs(r.rx(n_rx)).mean())

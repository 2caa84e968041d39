"""The shared real-radio captures (``../shared/data/iq`` beside the repository, or
``$SEMCOM_IQ_DIR``; see its README) and a semcom frame added into them at a known place, SINR,
level and DC offset. Tests skip when the folder is absent."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

IQ_DIR = Path(os.environ.get("SEMCOM_IQ_DIR") or Path(__file__).resolve().parents[1].parent / "shared" / "data" / "iq")
POSITIONS = ("start", "middle", "end", "boundary")


def capture_metas() -> list[Path]:
    """The ``.sigmf-meta`` files of the shared captures, or [] when the folder is absent."""
    return sorted(IQ_DIR.glob("*/*.sigmf-meta")) if IQ_DIR.is_dir() else []


def need_captures() -> list[Path]:
    metas = capture_metas()
    if not metas:
        pytest.skip(f"shared IQ captures not found at {IQ_DIR}")
    return metas


def load(meta: Path) -> tuple[np.ndarray, float]:
    """(complex64 [n], sample rate in S/s) of one ``cf32_le`` capture."""
    rate = float(json.loads(meta.read_text())["global"]["core:sample_rate"])
    return np.fromfile(meta.with_suffix(".sigmf-data"), "<c8"), rate


def frame_offset(position: str, capture_length: int, frame_length: int) -> int:
    """Where the frame goes: at the start, in the middle, ending at the end, or across the
    boundary between the first two reads of ``semcom ota --radio file`` (two frame lengths)."""
    return {"start": 0, "middle": (capture_length - frame_length) // 2, "end": capture_length - frame_length,
            "boundary": 2 * frame_length - frame_length // 2}[position]


def mix(capture: np.ndarray, frame: np.ndarray, position: str, sinr_db: float, scale: float = 1.0,
        dc_rel_rms: float = 0.0, local: bool = True) -> np.ndarray:
    """``frame`` added into ``capture`` (tiled to at least three frame lengths) at ``position``,
    with its mean power ``sinr_db`` above the capture's where the frame is (``local``: the
    interference and noise the frame meets; else the whole capture's); then everything times
    ``scale``, plus a DC offset of ``dc_rel_rms`` times the result's RMS. :output: complex64 [n]."""
    interference, signal = mix_parts(capture, frame, position, sinr_db, scale, dc_rel_rms, local)
    return (interference + signal).astype(np.complex64)


def mix_parts(capture: np.ndarray, frame: np.ndarray, position: str, sinr_db: float, scale: float = 1.0,
              dc_rel_rms: float = 0.0, local: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The two parts of :func:`mix`, complex128 [n] each: (the capture with the DC offset, the
    frame where it lies)."""
    reps = -(-3 * len(frame) // len(capture))
    y = np.tile(capture.astype(np.complex128), reps)
    y = y - y.mean()  # the capture's own DC is part of it; the test adds its own
    signal = np.zeros_like(y)
    active = np.abs(frame) > 0
    if active.any():  # (an all-zero frame: the capture alone, scaled and offset)
        p_frame = np.mean(np.abs(frame[active]) ** 2)
        at = frame_offset(position, len(y), len(frame))
        under = y[at:at + len(frame)][active] if local else y
        gain = np.sqrt(max(np.mean(np.abs(under) ** 2), 1e-30) * 10 ** (sinr_db / 10) / p_frame)
        signal[at:at + len(frame)] = gain * frame
    y, signal = y * scale, signal * scale
    dc = dc_rel_rms * np.sqrt(np.mean(np.abs(y + signal) ** 2)) * np.exp(0.7j)
    return y + dc, signal


def white_noise_like(capture: np.ndarray, frame: np.ndarray, sinr_db: float, seed: int = 0) -> np.ndarray:
    """The reference: the same frame in white Gaussian noise of the capture's power, at a normal level."""
    noise, signal = white_noise_parts(capture, frame, sinr_db, seed)
    return (noise + signal).astype(np.complex64)


def white_noise_parts(capture: np.ndarray, frame: np.ndarray, sinr_db: float, seed: int = 0):
    """The two parts of :func:`white_noise_like` (see :func:`mix_parts`)."""
    rng = np.random.default_rng(seed)
    n = max(len(capture), 3 * len(frame))
    noise = (rng.standard_normal(n) + 1j * rng.standard_normal(n)) / np.sqrt(2)
    return mix_parts(noise.astype(np.complex64), frame, "middle", sinr_db)


def write_sigmf(path: Path, y: np.ndarray, rate: float) -> Path:
    """A ``cf32_le`` SigMF pair (``path`` without suffix) and a ``file``-radio config beside it;
    returns the config's path."""
    path.with_suffix(".sigmf-data").write_bytes(y.astype("<c8").tobytes())
    meta = {"global": {"core:datatype": "cf32_le", "core:sample_rate": rate, "core:version": "1.0.0",
                       "core:num_channels": 1}, "captures": [{"core:sample_start": 0}], "annotations": []}
    path.with_suffix(".sigmf-meta").write_text(json.dumps(meta))
    config = path.with_suffix(".yaml")
    config.write_text(f"radio:\n  driver: file\n  sample_rate_sps: {rate}\n  options: {{path: {path}.sigmf-meta}}\n")
    return config

"""Checkpoints: one format for training state and shipped weights.

A checkpoint is a ``torch.save`` dict loaded with ``weights_only=True``:

``{"format": FORMAT, "version": 1, "arch": "cnn", "config": {...},
   "state_dict": {...}, "meta": {...}, "train_state": {...} (optional)}``

Writes are atomic (temporary file in the same folder, fsync, rename), so a
process killed at any moment leaves the previous checkpoint intact. Every
checkpoint also carries ``content_sha256``, a digest of its weights and training
state, checked on reading: a file damaged in storage or transfer is refused
instead of decoding garbage (checkpoints written before the digest existed load
without the check).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import torch

from .models.base import JSCCModel
from .models.registry import ARCHITECTURES, build_model

FORMAT = "semcom-sdr/checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint that cannot be used, with a message naming the file and the problem."""


def atomic_torch_save(obj, path: str | os.PathLike) -> None:
    """``torch.save`` to ``path`` via a temporary file and ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            torch.save(obj, fh)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file normal permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def content_digest(obj) -> str:
    """SHA-256 of a checkpoint's content (every tensor's dtype, shape and bytes, and every
    other value), walking dicts in key order and lists in order; ``content_sha256`` itself is left out."""
    h = hashlib.sha256()

    def walk(value) -> None:
        if isinstance(value, torch.Tensor):
            t = value.detach().cpu().contiguous().reshape(-1)
            h.update(f"T{t.dtype}{tuple(value.shape)}".encode())
            h.update(t.view(torch.uint8).numpy().tobytes())
        elif isinstance(value, dict):
            h.update(b"{")
            for key in sorted(value, key=str):
                if key != "content_sha256":
                    h.update(repr(key).encode())
                    walk(value[key])
            h.update(b"}")
        elif isinstance(value, (list, tuple)):
            h.update(b"[")
            for item in value:
                walk(item)
            h.update(b"]")
        else:
            h.update(repr(value).encode())

    walk(obj)
    return h.hexdigest()


def save_checkpoint(path, model: JSCCModel, state_dict=None, meta=None, train_state=None) -> None:
    """Save ``model``'s architecture, config and ``state_dict`` (its own by default), with its content digest."""
    obj = {"format": FORMAT, "version": VERSION, "arch": model.arch, "config": model.config(),
           "state_dict": state_dict if state_dict is not None else model.state_dict(),
           "meta": dict(meta or {})}
    if train_state is not None:
        obj["train_state"] = train_state
    obj["content_sha256"] = content_digest(obj)
    atomic_torch_save(obj, path)


def read_checkpoint(path) -> dict:
    """Load and validate a checkpoint dict; raise :class:`CheckpointError` naming the problem."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(f"corrupt or unreadable checkpoint {path}: {type(exc).__name__}: "
                              f"{str(exc).splitlines()[0] if str(exc) else ''}") from exc
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a semcom-sdr checkpoint")
    if obj.get("version") != VERSION:
        raise CheckpointError(f"{path} has checkpoint version {obj.get('version')}, this code reads {VERSION}")
    if obj.get("arch") not in ARCHITECTURES:
        raise CheckpointError(f"{path} names unknown architecture {obj.get('arch')!r}")
    if "content_sha256" in obj and content_digest(obj) != obj["content_sha256"]:
        raise CheckpointError(f"{path} is damaged: its content does not match the SHA-256 recorded when it "
                              "was written")
    return obj


def model_from_checkpoint(obj: dict, source: str = "checkpoint") -> JSCCModel:
    """Rebuild a model from a checkpoint dict (as CompressAI's ``from_state_dict``)."""
    try:
        model = build_model(obj["arch"], **obj["config"])
    except ValueError as exc:
        raise CheckpointError(f"{source}: {exc}") from exc
    load_state(model, obj["state_dict"], source)
    return model.eval()


def load_state(model: JSCCModel, state_dict: dict, source: str) -> None:
    """Load weights, turning shape/key mismatches into one clear error."""
    try:
        model.load_state_dict(state_dict)
    except RuntimeError as exc:
        first = str(exc).splitlines()
        detail = " ".join(line.strip() for line in first[:3])
        raise CheckpointError(f"{source} does not fit {model.arch} {model.config()}: {detail[:300]}") from exc


def check_compatible(obj: dict, arch: str, config: dict, source: str) -> None:
    """Raise if a checkpoint was made for another architecture or configuration."""
    if obj["arch"] != arch:
        raise CheckpointError(f"{source} holds a {obj['arch']!r} model, not {arch!r}")
    diffs = {k: (obj["config"].get(k), v) for k, v in config.items() if obj["config"].get(k) != v}
    if diffs:
        text = ", ".join(f"{k}: checkpoint {a!r} vs requested {b!r}" for k, (a, b) in diffs.items())
        raise CheckpointError(f"{source} was trained with another configuration ({text})")


def weights_sha256(model: torch.nn.Module) -> str:
    """SHA-256 of a model's weights in memory (names, dtypes, shapes and bytes, in state-dict order)."""
    h = hashlib.sha256()
    for name, t in model.state_dict().items():
        t = t.detach().cpu().contiguous()
        h.update(f"{name}:{t.dtype}:{tuple(t.shape)};".encode())
        h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def compact_training_state(path, out) -> dict:
    """Write a smaller resumable copy of a training checkpoint for committing: weights (raw and EMA)
    in float16, AdamW's moment estimates in bfloat16. Loading casts them back to the float32
    parameters (``load_state_dict`` copies with a cast), so ``--resume`` continues from the copy
    with the weights rounded to float16. Returns ``{"before": bytes, "after": bytes}``."""
    obj = read_checkpoint(path)
    state = obj.get("train_state")
    if state is None:
        raise CheckpointError(f"{path} has no training state to compact")

    def cast(tensors: dict, dtype) -> dict:
        return {k: v.to(dtype) if v.is_floating_point() else v for k, v in tensors.items()}

    obj["state_dict"] = cast(obj["state_dict"], torch.float16)
    state["model"] = cast(state["model"], torch.float16)
    for moments in state["optimizer"]["state"].values():
        moments.update(cast({k: v for k, v in moments.items() if k != "step"}, torch.bfloat16))
    obj.pop("content_sha256", None)
    obj["content_sha256"] = content_digest(obj)
    atomic_torch_save(obj, out)
    return {"before": Path(path).stat().st_size, "after": Path(out).stat().st_size}


def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()

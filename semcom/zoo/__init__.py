"""Shipped, trained models by name, each with a SHA-256 and a model card.

``zoo.json`` beside this file lists them; ``semcom export --checkpoint RUN/checkpoint.pt
--zoo-name NAME`` writes a weight file from a training checkpoint and updates that index,
and ``scripts/write_model_card.py NAME`` measures the model and writes its card.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from ..checkpoint import CheckpointError, model_from_checkpoint, read_checkpoint, save_checkpoint, sha256_file
from ..models.base import JSCCModel


def zoo_dir() -> Path:
    return Path(str(resources.files("semcom") / "zoo"))


def index() -> dict:
    """``{name: {"file", "sha256", "arch", "ratio", "card"}}`` of the shipped models."""
    path = zoo_dir() / "zoo.json"
    if not path.exists():
        return {}
    return json.loads(path.read_text())


def weight_path(name: str) -> Path:
    """Path of a shipped model's weights, after checking its SHA-256."""
    entries = index()
    if name not in entries:
        raise CheckpointError(f"no model {name!r} in the zoo (have: {', '.join(sorted(entries)) or 'none'})")
    path = zoo_dir() / "weights" / entries[name]["file"]
    if not path.is_file():
        raise CheckpointError(f"zoo model {name!r}: weight file {path} is missing")
    digest = sha256_file(path)
    if digest != entries[name]["sha256"]:
        raise CheckpointError(f"zoo model {name!r}: {path.name} has SHA-256 {digest[:12]}…, "
                              f"expected {entries[name]['sha256'][:12]}… (file damaged or replaced)")
    return path


def resolve(name_or_path: str) -> Path:
    """The weight file of a zoo name (``cnn``, ``vit``; SHA-256 checked) or a checkpoint path."""
    entries = index()
    path = weight_path(name_or_path) if name_or_path in entries else Path(name_or_path)
    if not path.is_file():
        raise CheckpointError(f"{name_or_path!r} is neither a zoo model ({', '.join(sorted(entries))}) "
                              "nor a checkpoint file")
    return path


def load_model(name_or_path: str, device="cpu") -> JSCCModel:
    """A zoo name (``cnn``, ``vit``) or a checkpoint path -> model in eval mode (float32)."""
    path = resolve(name_or_path)
    obj = read_checkpoint(path)
    obj["state_dict"] = {k: v.float() for k, v in obj["state_dict"].items()}
    return model_from_checkpoint(obj, source=str(path)).to(device)


def describe() -> str:
    """One line per shipped model."""
    lines = []
    for name, e in sorted(index().items()):
        lines.append(f"{name:6s} arch={e['arch']} ratio={e['ratio']} file={e['file']} sha256={e['sha256'][:16]}… "
                     f"card=semcom/zoo/cards/{e['card']}")
    return "\n".join(lines) or "the zoo is empty"


def export(checkpoint: str, out: str, zoo_name: str | None = None, card: str | None = None) -> dict:
    """Write a weights-only copy of a training checkpoint (EMA weights, float16).

    With ``zoo_name``, the file goes into the zoo's weight folder and ``zoo.json``
    records its SHA-256. Returns the index entry.
    """
    obj = read_checkpoint(checkpoint)
    model = model_from_checkpoint(obj, source=str(checkpoint))  # proves the weights load
    state = obj.get("train_state") or {}
    meta = dict(obj.get("meta", {}))
    meta.update({"source": Path(checkpoint).name, "train_config": state.get("train_config"),
                 "train_elapsed_s": state.get("elapsed_s"), "world_size": state.get("world_size"),
                 "command": state.get("command"), "hardware": state.get("hardware"),
                 "init_from_sha256": state.get("init_from_sha256")})
    target = zoo_dir() / "weights" / f"{zoo_name}.pt" if zoo_name else Path(out)
    half = {k: v.half() if v.is_floating_point() else v for k, v in model.state_dict().items()}
    save_checkpoint(target, model, state_dict=half, meta=meta)
    entry = {"file": target.name, "sha256": sha256_file(target), "arch": model.arch,
             "ratio": str(model.ratio)}
    if zoo_name or card:
        entry["card"] = card or f"{zoo_name}.md"
    if zoo_name:
        entries = index()
        entries[zoo_name] = entry
        (zoo_dir() / "zoo.json").write_text(json.dumps(entries, indent=2, sort_keys=True) + "\n")
    return entry

"""Shipped, trained models by name, each with a SHA-256 and a model card.

``zoo.json`` beside this file lists them; ``semcom export --checkpoint RUN/checkpoint.pt
--zoo-name NAME`` writes a weight file from a training checkpoint and updates that index,
and ``scripts/write_model_card.py NAME`` measures the model and writes its card.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from ..checkpoint import (CheckpointError, model_from_checkpoint, read_checkpoint, save_checkpoint, sha256_file,
                          weights_sha256)
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


def model_id(name_or_path: str, model: JSCCModel | None = None) -> int:
    """The 32-bit id a frame header carries for a model: the first 32 bits of its weight file's
    SHA-256 (as ``zoo.json`` records it for a zoo name), or of ``model``'s weights in memory when
    ``name_or_path`` is no file. Never 0 (0 means "no model", e.g. a digital frame)."""
    entries = index()
    if name_or_path in entries:
        digest = entries[name_or_path]["sha256"]
    elif Path(name_or_path).is_file():
        digest = sha256_file(name_or_path)
    elif model is not None:
        digest = weights_sha256(model)
    else:
        raise CheckpointError(f"{name_or_path!r} is neither a zoo model nor a checkpoint file")
    return int(digest[:8], 16) or 1


def name_for_id(model_id_: int) -> str | None:
    """The zoo model whose :func:`model_id` is ``model_id_``, or None."""
    for name, entry in sorted(index().items()):
        if (int(entry["sha256"][:8], 16) or 1) == model_id_:
            return name
    return None


def link_name(train_config: dict | None) -> str:
    """The link a model was trained over, e.g. ``awgn`` or ``ofdm tdl-a 2x2x1 svd rapp ibo3``."""
    tc = train_config or {}
    link = tc.get("link")
    if not link:
        return tc.get("channel") or "awgn"
    parts = ["ofdm", tc.get("channel", "awgn"), link.get("mimo", "1x1")]
    if link.get("precoding", "identity") != "identity":
        parts.append(link["precoding"])
    if link.get("pa", "none") != "none":
        parts += [link["pa"], f"ibo{link.get('ibo_db', 6.0):g}"]
    if link.get("clip_ratio_db") is not None:
        parts.append(f"clip{link['clip_ratio_db']:g}")
    return " ".join(parts)


def data_name(path: str | None) -> str:
    """A training set's name from its path: ``cifar10`` for CIFAR-10, else the folder's name
    (its parent's for a ``train``/``val``/``test`` split folder)."""
    if not path:
        return "unknown"
    p = Path(path)
    if "cifar" in p.name.lower():
        return "cifar10"
    return p.parent.name if p.name in ("train", "val", "test") and p.parent.name else p.name


def entry_details(name: str, seen: tuple = ()) -> dict:
    """``{"name", "arch", "ratio", "link", "trained_on", "sha256", "card"}`` of a shipped model;
    ``trained_on`` follows ``--init-from`` to the zoo model a fine-tune started from."""
    e = index()[name]
    meta = read_checkpoint(weight_path(name)).get("meta", {})
    tc = meta.get("train_config") or {}
    trained_on = [data_name(tc.get("data"))]
    parent = tc.get("init_from")
    if parent in index() and parent not in seen and parent != name:
        trained_on = entry_details(parent, seen + (name,))["trained_on"] + trained_on
    return {"name": name, "arch": e["arch"], "ratio": e["ratio"], "link": link_name(tc),
            "trained_on": list(dict.fromkeys(trained_on)), "sha256": e["sha256"], "card": e.get("card")}


def describe(as_json: bool = False) -> str:
    """One line per shipped model, or a JSON array of :func:`entry_details`."""
    rows = [entry_details(name) for name in sorted(index())]
    if as_json:
        return json.dumps(rows)
    lines = [f"{r['name']:14s} arch={r['arch']} ratio={r['ratio']} link={r['link']!r} "
             f"trained_on={','.join(r['trained_on'])} sha256={r['sha256'][:16]}… card=semcom/zoo/cards/{r['card']}"
             for r in rows]
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

"""Frozen-dataclass configurations from mappings and YAML files, with one kind of error.

Every configuration in the project (OFDM numerology, link, radio, training run) is a frozen
dataclass validated in ``__post_init__``; these two functions build one from a mapping (unknown
keys named) and read the mapping from YAML (optionally under a top-level key).
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import ClassVar


def from_mapping(cls, data, source: str = "config"):
    """``cls(**data)``, refusing anything but a mapping of ``cls``'s field names, and prefixing
    validation errors with ``source``."""
    if not isinstance(data, dict):
        raise ValueError(f"{source}: expected a mapping of {cls.__name__} settings, got {type(data).__name__}")
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"{source}: unknown setting(s) {unknown} for {cls.__name__}; known: {sorted(known)}")
    try:
        return cls(**data)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{source}: {exc}") from exc


def read_yaml(path: str | Path, section: str | None = None):
    """The mapping in a YAML file (under ``section`` when the file has that top-level key)."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"config not found: {path}")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from exc
    if section and isinstance(data, dict) and section in data:
        return data[section]
    return data if data is not None else {}


class MappingConfig:
    """Mixin for frozen dataclass configurations: ``from_dict`` and ``from_yaml`` (the file's
    mapping, under ``yaml_section`` when the file has that top-level key)."""

    yaml_section: ClassVar[str | None] = None

    @classmethod
    def from_dict(cls, data: dict, source: str = "config"):
        return from_mapping(cls, data, source)

    @classmethod
    def from_yaml(cls, path: str | Path):
        return cls.from_dict(read_yaml(path, cls.yaml_section), source=str(path))

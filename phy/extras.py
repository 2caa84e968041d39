"""Optional packages: one error type, with the line that installs them.

Sionna (3GPP channels, 5G LDPC, QAM mapping) needs numpy >= 2.2, which Debian's
GNU Radio cannot share, so it stays optional; everything that needs it imports it
through :func:`require`.
"""

from __future__ import annotations

import importlib
from types import ModuleType


class MissingExtraError(ImportError):
    """An optional package is not installed; the message names the pip extra that brings it."""


def require(module: str, extra: str, purpose: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingExtraError` saying that ``purpose`` needs
    ``pip install 'semcom-sdr[extra]'``."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(f"{purpose} needs {module.split('.')[0]}: pip install 'semcom-sdr[{extra}]' "
                                f"({exc})") from exc

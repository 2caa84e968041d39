"""Hardware parameters of the example flowgraphs (Pluto, USRP), from ``hw_configs/*.yaml``.

GRC evaluates a flowgraph's variables while it edits or compiles it, so :func:`hw_settings` only
reads the file; :func:`require_address` runs when the flowgraph starts (a Python snippet, before
its blocks are made) and refuses an empty address: no default device address is ever assumed.
"""

from __future__ import annotations

from pathlib import Path

from radio.config import RadioConfig

REPO_ROOT = Path(__file__).resolve().parents[2]


def hw_settings(config: str, driver: str) -> RadioConfig:
    """The :class:`radio.config.RadioConfig` in ``config`` (relative paths: from the working
    directory, else from the checkout), checked to be for ``driver``."""
    path = Path(config)
    if not path.is_absolute() and not path.exists() and (REPO_ROOT / path).exists():
        path = REPO_ROOT / path
    cfg = RadioConfig.from_yaml(path)
    if cfg.driver != driver:
        raise ValueError(f"{config} is a {cfg.driver!r} configuration, this flowgraph needs {driver!r}")
    return cfg


def require_address(cfg: RadioConfig, uri: str = "") -> str:
    """The device address: ``uri`` when given, else the config's; an empty one is refused."""
    address = (uri or cfg.uri or "").strip()
    if not address:
        raise SystemExit(f"semcom: error: no device address: set `uri` in the {cfg.driver} config or pass "
                         f"--uri (e.g. ip:192.168.2.1 or serial=...); no default address is assumed")
    return address

"""Radios: numpy complex64 IQ in and out behind one interface.

Knows nothing of models. ``Radio`` (base) and ``RadioConfig`` (YAML in
``hw_configs/``); backends: ``sim`` (simulated front ends), ``file`` (SigMF
playback, plus a recorder that wraps any radio), ``pluto`` (pyadi-iio),
``usrp`` (UHD) and ``zmq`` (a GNU Radio flowgraph as the medium).
"""

from .base import Capabilities, Radio, RadioError
from .config import RadioConfig

__all__ = ["Capabilities", "Radio", "RadioConfig", "RadioError", "open_radio"]


def open_radio(cfg: RadioConfig) -> Radio:
    """The backend named by ``cfg.driver``, configured."""
    if cfg.driver == "sim":
        from .sim import SimRadio

        return SimRadio(cfg)
    if cfg.driver == "pluto":
        from .pluto import PlutoRadio

        return PlutoRadio(cfg)
    if cfg.driver == "usrp":
        from .usrp import USRPRadio

        return USRPRadio(cfg)
    if cfg.driver == "zmq":
        from .zmq import ZMQRadio

        return ZMQRadio(cfg)
    if cfg.driver == "file":
        from .file import FileRadio

        return FileRadio(cfg)
    raise ValueError(f"unknown radio driver {cfg.driver!r}")

"""The pieces every ``semcom`` subcommand shares: option types that validate at parse time, the
help format, and which exceptions are the user's (one ``semcom: error:`` line) rather than bugs.

Each subcommand that has its own module here exposes ``add_parser(subparsers)``, which registers
its options and its handler.
"""

from __future__ import annotations

import argparse

RUNTIMES = ("torch", "onnx", "onnx-int8")  # semcom.runtime.RUNTIMES, here so that parsing needs no torch
SNR_LIMITS_DB = (-30.0, 60.0)  # what any SNR option accepts; models warn outside their trained range


def user_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean the user asked for something impossible: bad values and configs
    (``ValueError`` and the project's subclasses of it), unusable files (``OSError``), a radio
    that is missing or failed (``RadioError``) and a missing optional package
    (``MissingExtraError``). Anything else is a bug and keeps its traceback."""
    from phy.extras import MissingExtraError
    from radio.base import RadioError

    return ValueError, OSError, RadioError, MissingExtraError


def show_progress(args, stream=None) -> bool:
    """A progress bar unless ``--quiet``; with ``--json`` only when stderr is a terminal (the bar goes to
    stderr, so the JSON on stdout stays clean either way)."""
    import sys

    stream = stream or sys.stderr
    return not args.quiet and (not args.json or stream.isatty())


def _snr_value(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"SNR must be a number in dB, got {text!r}")
    if not SNR_LIMITS_DB[0] <= value <= SNR_LIMITS_DB[1]:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(
            f"SNR {text} dB is outside {SNR_LIMITS_DB[0]:g}..{SNR_LIMITS_DB[1]:g} dB")
    return value


def _snr_list(text: str) -> list[float]:
    values = [_snr_value(v.strip()) for v in text.split(",") if v.strip()]
    if not values:
        raise argparse.ArgumentTypeError("SNR list is empty")
    return values


def _str_list(text: str) -> list[str]:
    values = [v.strip() for v in text.split(",") if v.strip()]
    if not values:
        raise argparse.ArgumentTypeError("empty list")
    return values


def _whole_number(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}")
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected a number >= {minimum}, got {value}")
    return value


def _positive_int(text: str) -> int:
    return _whole_number(text, 1)


def _count(text: str) -> int:
    """A whole number >= 0 (an offset)."""
    return _whole_number(text, 0)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}")
    if not 0 <= value < float("inf"):  # also refuses nan
        raise argparse.ArgumentTypeError(f"expected a finite number of seconds >= 0, got {text}")
    return value


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Help that shows every option's default and keeps the descriptions' line breaks."""


def _command(sub, name: str, summary: str, description: str, func) -> argparse.ArgumentParser:
    p = sub.add_parser(name, help=summary, description=description, formatter_class=_HelpFormatter)
    p.set_defaults(func=func)
    return p


def _group(sub, name: str, summary: str, description: str):
    """A subcommand with subcommands of its own (``semcom gr install``): returns their subparsers."""
    p = sub.add_parser(name, help=summary, description=description, formatter_class=_HelpFormatter)
    return p.add_subparsers(dest=f"{name}_command", required=True)

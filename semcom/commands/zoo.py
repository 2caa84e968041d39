"""``semcom zoo``: list the shipped models."""

from __future__ import annotations

from . import _command


def add_parser(sub) -> None:
    p = _command(sub, "zoo", "list the shipped models",
                 "List the shipped models: architecture, ratio, the link and data they were trained on, "
                 "SHA-256 and model card.", cmd_zoo)
    p.add_argument("--json", action="store_true", help="print one JSON array to stdout")


def cmd_zoo(args) -> int:
    from ..zoo import describe

    print(describe(as_json=args.json))
    return 0

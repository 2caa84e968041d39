"""What the benchmarks share: median timing and writing results (CSV + Markdown with the command)."""

from __future__ import annotations

import csv
import platform
import shlex
import statistics
import sys
import time
from pathlib import Path

import torch

from semcom.checkpoint import sha256_file
from semcom.train_log import hardware_summary
from semcom.zoo import resolve


def median_time(fn, repeats: int, warmups: int = 2) -> float:
    """Median wall time of ``fn()`` over ``repeats`` runs after ``warmups`` untimed ones."""
    for _ in range(warmups):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def preamble(script: str, argv, models=()) -> list[str]:
    """Markdown lines naming the exact command, the machine and the weights (SHA-256) of ``models``."""
    args = list(sys.argv[1:] if argv is None else argv)
    lines = [f"Command: `python {shlex.join([script] + args)}`", "",
             f"Machine: {hardware_summary(torch.device('cpu'))}; torch {torch.__version__}; "
             f"Python {platform.python_version()}.", ""]
    if models:
        lines += ["Weights: " + ", ".join(f"`{m}` {sha256_file(resolve(m))[:12]}" for m in models) + ".", ""]
    return lines


def write_results(out: str, rows: list[dict], lines: list[str]) -> None:
    """``out``.csv from the rows, ``out``.md from the lines; the Markdown is printed too."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".csv"), "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    path.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))

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


def add_image_options(p, limit: int, out: str) -> None:
    """``--snr``, ``--data``, ``--limit``, ``--threads`` and ``--out``, as the benchmarks over CIFAR-10 take them."""
    p.add_argument("--snr", default="0,10,20")
    p.add_argument("--data", default="../shared/data/cifar10.npz")
    p.add_argument("--limit", type=int, default=limit)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default=out)


def parse(p, argv):
    """Parse ``argv`` (None: the command line) and set torch's threads from ``--threads``."""
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    return args


def markdown_table(header: list[str], body) -> list[str]:
    """Lines of a Markdown table: ``header``, the separator, one line per row of already formatted cells."""
    return (["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
            + ["| " + " | ".join(str(c) for c in cells) + " |" for cells in body])


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

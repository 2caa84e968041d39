"""A training run's record: the per-epoch CSV log, its PNG, and what hardware ran it."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import torch


def write_log(path: Path, rows: list[dict]) -> None:
    """Write the per-epoch history as CSV, atomically (it is derived from the checkpoint)."""
    if not rows:
        return
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)


def plot_log(csv_path: Path, png_path: Path, title: str = "AWGN") -> None:
    """Validation PSNR and training loss per epoch, from the CSV log, to a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(csv_path) as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        return
    epochs = [int(r["epoch"]) for r in rows]
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    for key in rows[0]:
        if key.startswith("val_psnr_"):
            a.plot(epochs, [float(r[key]) for r in rows], marker=".", label=key[9:].replace("db", " dB"))
    a.set(xlabel="epoch", ylabel="validation PSNR (dB)", title=f"EMA model, {title}")
    a.grid(alpha=0.3)
    a.legend(title="SNR")
    b.plot(epochs, [float(r["train_loss"]) for r in rows], marker=".")
    b.set(xlabel="epoch", ylabel="train MSE", yscale="log", title="training loss")
    b.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(png_path, dpi=100)
    plt.close(fig)


def hardware_summary(device: torch.device) -> str:
    """What this process trains on, for model cards."""
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)} (CUDA)"
    model = "CPU"
    try:
        with open("/proc/cpuinfo") as fh:
            model = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), model)
    except OSError:
        pass
    return f"{model}, {torch.get_num_threads()} torch thread(s) of {os.cpu_count()} cores"

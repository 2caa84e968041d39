"""Markdown summaries of the fine-tuned models' link sweeps (the CSVs that `semcom sweep --out` wrote).

    python benchmarks/sweep_table.py     # writes benchmarks/results/sweep_tdla_2x2*_finetuned.md

One summary per 2x2 transmission mode: spatial multiplexing (two streams) and rank-1 SVD beamforming (one
stream, transmitter CSI). Each reads the TDL-A + Rapp PA sweep and the flat-channel, linear-PA sweep of that
mode (commands below, also in the Markdown), takes the best LDPC/QAM scheme per codec and SNR, and tabulates
PSNR.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from semcom.sweep import best_envelope, read_csv

RESULTS = Path(__file__).parent / "results"
TAIL = ("SNR is per resource element and receive antenna (total transmit power 1 per RE, summed over the "
        "antennas). `<codec>-ldpc(best)` is the best of the nine LDPC/QAM schemes at each SNR (MCS named); "
        "`heic@capacity` is HEIC at the SISO AWGN capacity of the same number of channel uses.")


@dataclass(frozen=True)
class Mode:
    name: str
    tdla: str
    flat: str
    models: tuple[str, ...]
    commands: str
    description: str
    tdla_linear: str | None = None


MODES = (
    Mode("sweep_tdla_2x2_rapp3_finetuned", "sweep_tdla_2x2_rapp3_finetuned.csv", "sweep_awgn_2x2_linear.csv",
         ("cnn", "vit", "cnn-tdla", "cnn-tdla-clip", "vit-tdla"),
         """semcom sweep --model cnn,vit,cnn-tdla,cnn-tdla-clip,vit-tdla --baseline jpeg-ldpc,heic-ldpc,heic@capacity --link ofdm \\
    --channel tdl-a --mimo 2x2 --pa rapp --ibo 3 --estimator lmmse --snr 0,5,10,15,20 --data ../shared/data/cifar10.npz \\
    --limit 200 --out benchmarks/results/sweep_tdla_2x2_rapp3_finetuned.csv
semcom sweep --model cnn,vit,cnn-tdla,vit-tdla --link ofdm --channel awgn --mimo 2x2 --pa none --estimator lmmse \\
    --snr 0,5,10,15,20 --data ../shared/data/cifar10.npz --limit 200 --out benchmarks/results/sweep_awgn_2x2_linear.csv""",
         "2x2 spatial multiplexing: 512 symbols per image over two streams on 256 resource elements (RE), no "
         "precoding, each stream with half the transmit power."),
    Mode("sweep_tdla_2x2x1_svd_rapp3_finetuned", "sweep_tdla_2x2x1_svd_rapp3.csv", "sweep_awgn_2x2x1_svd_linear.csv",
         ("cnn", "vit", "cnn-tdla-bf", "vit-tdla-bf"),
         """semcom sweep --model cnn,vit,cnn-tdla-bf,vit-tdla-bf --baseline jpeg-ldpc,heic-ldpc,heic@capacity --link ofdm --channel tdl-a \\
    --mimo 2x2x1 --precoding svd --pa rapp --ibo 3 --estimator lmmse --snr 0,5,10,15,20 --data ../shared/data/cifar10.npz \\
    --limit 200 --out benchmarks/results/sweep_tdla_2x2x1_svd_rapp3.csv
semcom sweep --model cnn,vit,cnn-tdla-bf,vit-tdla-bf --link ofdm --channel awgn --mimo 2x2x1 --precoding svd --pa none \\
    --estimator lmmse --snr 0,5,10,15,20 --data ../shared/data/cifar10.npz --limit 200 \\
    --out benchmarks/results/sweep_awgn_2x2x1_svd_linear.csv
semcom sweep --model cnn,vit,cnn-tdla-bf,vit-tdla-bf --link ofdm --channel tdl-a --mimo 2x2x1 --precoding svd --pa none \\
    --estimator lmmse --snr 0,5,10,15,20 --data ../shared/data/cifar10.npz --limit 200 \\
    --out benchmarks/results/sweep_tdla_2x2x1_svd_linear.csv""",
         "2x2 rank-1 SVD beamforming (`--mimo 2x2x1 --precoding svd`): 512 symbols per image, one stream on 512 "
         "RE, precoded on each RE with the channel's strongest right singular vector (the transmitter knows the "
         "static channel) and received with LMMSE combining.",
         "sweep_tdla_2x2x1_svd_linear.csv"),
)


def psnr_table(path: Path) -> dict:
    """{scheme: {snr_db: (psnr_db, mcs or None)}} of one sweep CSV, with the best-MCS envelope rows."""
    rows = list(read_csv(path).values())
    table: dict = defaultdict(dict)
    for r in rows + best_envelope(rows):
        table[r["scheme"]][r["snr_db"]] = (r["psnr_db"], r["mcs"].split("+")[1] if "mcs" in r else None)
    return table


def summary(mode: Mode) -> str:
    tdla, flat = psnr_table(RESULTS / mode.tdla), psnr_table(RESULTS / mode.flat)
    snrs = sorted(tdla["cnn"])
    head = "| scheme | " + " | ".join(f"{s:g} dB" for s in snrs) + " |"
    lines = ["Commands:", "", "```bash", mode.commands, "python benchmarks/sweep_table.py", "```", "",
             f"200 CIFAR-10 test images, ratio 1/6, time-domain link, seed numerology. {mode.description} "
             "Pilots + LMMSE estimation, LMMSE equalisation, reliability-weighted symbols to the decoder. " + TAIL,
             "", "PSNR (dB), 2x2 TDL-A, Rapp PA (p=3) at 3 dB IBO:", "", head, "| --- " * (len(snrs) + 1) + "|"]
    for s in [m for m in mode.models if m in tdla] + ["heic@capacity"]:
        lines.append(f"| `{s}` | " + " | ".join(f"{tdla[s][k][0]:.2f}" for k in snrs) + " |")
    for s in sorted(k for k in tdla if k.endswith("-ldpc(best)")):
        lines.append(f"| `{s}` | " + " | ".join(f"{tdla[s][k][0]:.2f} ({tdla[s][k][1]})" for k in snrs) + " |")
    lines += ["", "The same link with a flat identity channel and a linear PA (each model's linear-PA AWGN figure),",
              "and what TDL-A + the PA cost at 10 dB (negative: TDL-A + PA did better):", "",
              head + " loss at 10 dB |", "| --- " * (len(snrs) + 2) + "|"]
    for s in [m for m in mode.models if m in flat and m in tdla]:
        lines.append(f"| `{s}` | " + " | ".join(f"{flat[s][k][0]:.2f}" for k in snrs) +
                     f" | {flat[s][10.0][0] - tdla[s][10.0][0]:.2f} |")
    if mode.tdla_linear:
        linear = psnr_table(RESULTS / mode.tdla_linear)
        lines += ["", "TDL-A with a linear PA, and what the Rapp PA at 3 dB IBO costs at 10 dB:", "",
                  head + " PA loss at 10 dB |", "| --- " * (len(snrs) + 2) + "|"]
        for s in [m for m in mode.models if m in linear and m in tdla]:
            lines.append(f"| `{s}` | " + " | ".join(f"{linear[s][k][0]:.2f}" for k in snrs) +
                         f" | {linear[s][10.0][0] - tdla[s][10.0][0]:.2f} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out-dir", default=str(RESULTS))
    args = p.parse_args(argv)
    for mode in MODES:
        text = summary(mode)
        (Path(args.out_dir) / f"{mode.name}.md").write_text(text)
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

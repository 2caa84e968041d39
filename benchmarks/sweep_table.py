"""Markdown summary of the fine-tuned models' sweeps (the CSVs that `semcom sweep --out` wrote).

    python benchmarks/sweep_table.py                 # writes benchmarks/results/sweep_tdla_2x2_rapp3_finetuned.md

Reads the 2x2 TDL-A + Rapp PA sweep and the 2x2 flat-channel, linear-PA sweep (commands below, also in the
Markdown), takes the best LDPC/QAM scheme per codec and SNR, and tabulates PSNR.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

from semcom.sweep import best_envelope, read_csv

RESULTS = Path(__file__).parent / "results"
TDLA = RESULTS / "sweep_tdla_2x2_rapp3_finetuned.csv"
FLAT = RESULTS / "sweep_awgn_2x2_linear.csv"
COMMANDS = """```bash
semcom sweep --model cnn,vit,cnn-tdla,cnn-tdla-clip,vit-tdla --baseline jpeg-ldpc,heic-ldpc,heic@capacity --link ofdm \\
    --channel tdl-a --mimo 2x2 --pa rapp --ibo 3 --estimator lmmse --snr 0,5,10,15,20 --data ../shared/data/cifar10.npz \\
    --limit 200 --out benchmarks/results/sweep_tdla_2x2_rapp3_finetuned.csv
semcom sweep --model cnn,vit,cnn-tdla,vit-tdla --link ofdm --channel awgn --mimo 2x2 --pa none --estimator lmmse \\
    --snr 0,5,10,15,20 --data ../shared/data/cifar10.npz --limit 200 --out benchmarks/results/sweep_awgn_2x2_linear.csv
python benchmarks/sweep_table.py
```"""
MODELS = ("cnn", "vit", "cnn-tdla", "cnn-tdla-clip", "vit-tdla")


def psnr_table(path: Path) -> dict:
    """{scheme: {snr_db: (psnr_db, mcs or None)}} of one sweep CSV, with the best-MCS envelope rows."""
    rows = list(read_csv(path).values())
    table: dict = defaultdict(dict)
    for r in rows + best_envelope(rows):
        table[r["scheme"]][r["snr_db"]] = (r["psnr_db"], r["mcs"].split("+")[1] if "mcs" in r else None)
    return table


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=str(RESULTS / "sweep_tdla_2x2_rapp3_finetuned.md"))
    args = p.parse_args(argv)
    tdla, flat = psnr_table(TDLA), psnr_table(FLAT)
    snrs = sorted(tdla["cnn"])
    head = "| scheme | " + " | ".join(f"{s:g} dB" for s in snrs) + " |"
    lines = ["Commands:", "", COMMANDS, "",
             "200 CIFAR-10 test images, ratio 1/6 (512 symbols per image over 2 streams), time-domain link: 2x2 spatial",
             "multiplexing, seed numerology, pilots + LMMSE estimation, LMMSE equalisation, reliability-weighted symbols",
             "to the decoder. SNR is per resource element and receive antenna (total transmit power 1 per RE, split over",
             "the two antennas). `<codec>-ldpc(best)` is the best of the nine LDPC/QAM schemes at each SNR (MCS named);",
             "`heic@capacity` is HEIC at the SISO AWGN capacity of the same number of channel uses.", "",
             "PSNR (dB), 2x2 TDL-A, Rapp PA (p=3) at 3 dB IBO:", "", head, "| --- " * (len(snrs) + 1) + "|"]
    for s in [m for m in MODELS if m in tdla] + ["heic@capacity"]:
        lines.append(f"| `{s}` | " + " | ".join(f"{tdla[s][k][0]:.2f}" for k in snrs) + " |")
    for s in sorted(k for k in tdla if k.endswith("-ldpc(best)")):
        lines.append(f"| `{s}` | " + " | ".join(f"{tdla[s][k][0]:.2f} ({tdla[s][k][1]})" for k in snrs) + " |")
    lines += ["", "The same 2x2 link with a flat identity channel and a linear PA (each model's linear-PA AWGN figure),",
              "and what TDL-A + the PA cost at 10 dB:", "",
              head + " loss at 10 dB |", "| --- " * (len(snrs) + 2) + "|"]
    for s in [m for m in MODELS if m in flat]:
        lines.append(f"| `{s}` | " + " | ".join(f"{flat[s][k][0]:.2f}" for k in snrs) +
                     f" | {flat[s][10.0][0] - tdla[s][10.0][0]:.2f} |")
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

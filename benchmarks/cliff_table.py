"""The digital cliff: a Markdown table and a plot of a ``semcom sweep --snr-mismatch`` CSV.

    python benchmarks/cliff_table.py benchmarks/results/cliff_flat_awgn_bsds500.csv --model cnn-bsds

Per mismatch D (the channel delivers the believed SNR S minus D): PSNR against S of the JSCC model
(told S), ``best-ldpc-practical`` (MCS picked for S from the measured thresholds), and the rows that
know the channel (``best-ldpc``: best codec and MCS, genie; ``best@capacity``). Then per D the believed
SNR where the JSCC model and ``best-ldpc`` cross (linear interpolation between the measured points),
and where the model stands against ``best-ldpc-practical``. Writes ``<csv>.md`` and ``<csv>_cliff.png``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

from semcom.sweep import read_csv

DIGITAL = ("best-ldpc-practical", "best-ldpc", "best@capacity")


def table(rows) -> dict:
    """{mismatch: {scheme: {snr: row}}}."""
    out: dict = defaultdict(lambda: defaultdict(dict))
    for r in rows:
        out[r["mismatch_db"]][r["scheme"]][r["snr_db"]] = r
    return out


def crossings(a: dict, b: dict) -> list[float]:
    """Believed SNRs where curve ``a`` - ``b`` ({snr: psnr}) changes sign (linear between points)."""
    snrs = sorted(set(a) & set(b))
    diff = [a[s] - b[s] for s in snrs]
    out = []
    for (s0, d0), (s1, d1) in zip(zip(snrs, diff), zip(snrs[1:], diff[1:])):
        if d0 == 0:
            out.append(s0)
        elif d0 * d1 < 0:
            out.append(s0 + (s1 - s0) * d0 / (d0 - d1))
    if snrs and diff[-1] == 0:
        out.append(snrs[-1])
    return out


def describe_crossing(model: str, jscc: dict, ldpc: dict) -> str:
    snrs = sorted(set(jscc) & set(ldpc))
    if not snrs:
        return "not measured"
    cross = crossings(jscc, ldpc)
    if cross:
        return ", ".join(f"{c:.1f} dB" for c in cross)
    above = jscc[snrs[0]] > ldpc[snrs[0]]
    return f"none in {snrs[0]:g}-{snrs[-1]:g} dB ({model} {'above' if above else 'below'} at every point)"


def markdown(path: Path, model: str) -> list[str]:
    rows = list(read_csv(path).values())
    by = table(rows)
    settings = json.loads(path.with_suffix(".json").read_text())
    n = {r["n_images"] for r in rows}
    lines = [f"{', '.join(map(str, sorted(n)))} photos (`--limit {settings['limit']}`), ratio {settings['ratio']}, "
             "link and channel as in the command. S is the SNR the transmitter believes; the channel delivers "
             "S - D. The JSCC model is told S (encoder and decoder); `best-ldpc-practical` picks its MCS for S "
             "from the measured 10 %-BLER thresholds (BLER and MCS beside it); `best-ldpc` (best codec and MCS, "
             "genie) and `best@capacity` know the channel: they are the best a digital link could do at S - D.", ""]
    snrs = sorted({r["snr_db"] for r in rows})
    head = "| D (dB) | scheme | " + " | ".join(f"S = {s:g} dB" for s in snrs) + " |"
    lines += ["PSNR (dB):", "", head, "|" + " --- |" * (len(snrs) + 2)]
    for d in sorted(by):
        for scheme in (model,) + DIGITAL:
            cells = []
            for s in snrs:
                r = by[d][scheme].get(s)
                if r is None:
                    cells.append("-")
                elif scheme == "best-ldpc-practical":
                    cells.append(f"{r['psnr_db']:.2f} (BLER {r['bler']:.2f}, {r['mcs']})")
                else:
                    cells.append(f"{r['psnr_db']:.2f}")
            lines.append(f"| {d:g} | {scheme} | " + " | ".join(cells) + " |")
    lines += ["", f"Per D: where `{model}` and `best-ldpc` cross, and the believed SNRs where `{model}` beats "
              "`best-ldpc-practical`:", "", "| D (dB) | crossing with best-ldpc | beats best-ldpc-practical at |",
              "| --- | --- | --- |"]
    for d in sorted(by):
        jscc = {s: r["psnr_db"] for s, r in by[d][model].items()}
        ldpc = {s: r["psnr_db"] for s, r in by[d]["best-ldpc"].items()}
        prac = {s: r["psnr_db"] for s, r in by[d]["best-ldpc-practical"].items()}
        wins = [s for s in sorted(set(jscc) & set(prac)) if jscc[s] > prac[s]]
        both = sorted(set(jscc) & set(prac))
        beats = (f"{', '.join(f'{s:g}' for s in wins) or 'none'} of {', '.join(f'{s:g}' for s in both)} dB"
                 if both else "not measured")
        lines.append(f"| {d:g} | {describe_crossing(model, jscc, ldpc)} | {beats} |")
    lines += ["", "A crossing is the linear interpolation between the two measured points around it; where "
              "`best-ldpc` drops to the fallback image between them (no MCS decodes), the true crossing can lie "
              "anywhere in that interval."]
    return lines


def plot(path: Path, model: str, png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by = table(read_csv(path).values())
    ds = sorted(by)
    fig, axes = plt.subplots(1, len(ds), figsize=(3.6 * len(ds), 3.6), sharey=True, squeeze=False)
    styles = {model: "o-", "best-ldpc-practical": "s--", "best-ldpc": "^:", "best@capacity": "d-."}
    for ax, d in zip(axes[0], ds):
        for scheme, style in styles.items():
            pts = sorted((s, r["psnr_db"]) for s, r in by[d][scheme].items())
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], style, label=scheme, markersize=4)
        ax.set(title=f"mismatch D = {d:g} dB", xlabel="believed SNR S (dB); channel S - D")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("PSNR (dB)")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("csv", help="a semcom sweep --snr-mismatch CSV")
    p.add_argument("--model", required=True, help="the JSCC scheme in it")
    p.add_argument("--command", default=None, help="the semcom sweep command(s) that made the CSV, for the page")
    args = p.parse_args(argv)
    path = Path(args.csv)
    png = path.with_name(path.stem + "_cliff.png")
    lines = [f"# The digital cliff: {path.stem}", ""]
    if args.command:
        lines += ["Commands:", "", "```bash", args.command, f"python benchmarks/cliff_table.py {args.csv} "
                  f"--model {args.model} --command '...'", "```", ""]
    lines += markdown(path, args.model) + ["", f"![cliff]({png.name})"]
    plot(path, args.model, png)
    path.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())

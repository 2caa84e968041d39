"""Measure how far a link's SNR estimate must be backed off before the AWGN thresholds pick an MCS that
decodes there (transport block error rate <= 10 %), at a few SNRs of that link.

At each channel SNR, TBs of ``--symbols`` channel uses go through the link (the sweep's: ``--link ofdm
--channel tdl-a --mimo 2x2x1 --precoding svd --pa rapp --ibo 3``) at the MCS the AWGN thresholds pick from
the link's own SNR estimate, then one MCS lower at a time until the BLER is at most 10 %. The back-off is
the dB between the estimate and the middle of that MCS's threshold interval (0 when the first pick
decodes). Rows are merged into ``phy/data/mcs_backoff.csv`` under the link's key (:func:`phy.digital.link_key`),
SNR and TB size, each command in a comment line; ``best-ldpc-practical`` interpolates them over the SNR
estimate, from the rows of the TB size nearest its own (a longer TB holds more code blocks, so it needs
more back-off: 49152 channel uses, a 256x384 image at 1/6, versus 196608, a 768x512 photo).

    python scripts/measure_mcs_backoff.py --link ofdm --channel tdl-a --mimo 2x2x1 --precoding svd \\
        --pa rapp --ibo 3 --snr 0,10,20 --symbols 12288 --tbs 20 --threads 1
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from phy.digital import (BACKOFF_FILE, BLER_TARGET, TransportBlockQAM, link_key, measured_thresholds,  # noqa: E402
                         nr_grid, practical_mcs)
from semcom.baseline import effective_noise_var  # noqa: E402
from semcom.sweep import SweepPoint, make_link  # noqa: E402

FIELDS = ["link", "snr_db", "snr_est_db", "awgn_pick", "mcs", "bler", "tbs", "symbols", "backoff_db"]


def send(chain, link, snr_db: float, tbs: int, seed: int) -> tuple[float, float]:
    """(BLER, mean SNR estimate in dB) of ``tbs`` random TBs through ``link`` at ``snr_db``."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # Sionna channels draw from torch's global generator
    s = chain.modulate(torch.randint(0, 2, (tbs, chain.k), generator=gen).float())
    out = link(s, torch.full((tbs,), snr_db), generator=gen)
    _, ok = chain.demodulate(out.s_hat, effective_noise_var(out, s))
    return int((~ok).sum()) / tbs, float(torch.as_tensor(out.snr_eff_db).mean())  # exact: 1/10 is 0.1


def backoff_at(link, snr_db: float, symbols: int, tbs: int, seed: int) -> dict:
    grid = []
    for m in nr_grid():  # the MCS whose TB chain builds at this size (no repetition below rate 1/3 on BG1)
        try:
            grid.append((m, TransportBlockQAM(symbols, m)))
        except ValueError:
            pass
    th = measured_thresholds()
    bler, est = send(grid[0][1], link, snr_db, tbs, seed)
    pick = practical_mcs(est, [m for m, _ in grid])
    index = next(i for i, (m, _) in enumerate(grid) if m == pick)
    while True:
        m, chain = grid[index]
        bler, _ = send(chain, link, snr_db, tbs, seed)
        print(f"  {snr_db:g} dB (estimate {est:.2f}): {m.name} BLER {bler:.2f}", flush=True)
        if bler <= BLER_TARGET or index == 0:
            break
        index -= 1
    above = th.get(grid[index + 1][0].name, th[m.name] + 1.0) if index + 1 < len(grid) else th[m.name] + 1.0
    backoff = 0.0 if m == pick else est - (th[m.name] + above) / 2
    return {"snr_db": snr_db, "snr_est_db": round(est, 3), "awgn_pick": pick.name, "mcs": m.name,
            "bler": round(bler, 3), "tbs": tbs, "symbols": symbols, "backoff_db": round(max(backoff, 0.0), 3)}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--link", default="ofdm")
    p.add_argument("--channel", default="tdl-a")
    p.add_argument("--mimo", default="2x2x1")
    p.add_argument("--precoding", default="svd")
    p.add_argument("--pa", default="none")
    p.add_argument("--ibo", type=float, default=6.0)
    p.add_argument("--snr", default="0,10,20")
    p.add_argument("--symbols", type=int, default=12288, help="channel uses per TB (12288: a 128x192 image at 1/6)")
    p.add_argument("--tbs", type=int, default=20, help="transport blocks per point")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=str(BACKOFF_FILE))
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    key = link_key(args.link, args.channel, args.mimo, args.precoding, args.pa, args.ibo)
    link = make_link(SweepPoint("digital", args.link, args.channel, args.mimo, args.pa, args.ibo, 0.0),
                     {"precoding": args.precoding} if args.link == "ofdm" else {})
    rows = [{"link": key, **backoff_at(link, float(s), args.symbols, args.tbs, args.seed)} for s in args.snr.split(",")]
    out = Path(args.out)
    kept, comments = [], []
    new = {(key, float(r["snr_db"]), int(r["symbols"])) for r in rows}
    if out.exists():  # the rows of other links and SNRs stay, and the commands that measured them
        lines = out.read_text().splitlines()
        comments = [c for c in lines if c.startswith("#")]
        kept = [r for r in csv.DictReader(c for c in lines if not c.startswith("#"))
                if (r["link"], float(r["snr_db"]), int(r["symbols"])) not in new]
    command = "python scripts/measure_mcs_backoff.py " + " ".join(argv if argv is not None else sys.argv[1:])
    with open(out, "w") as fh:
        fh.writelines(c + "\n" for c in comments)
        fh.write(f"# {key} : {command.strip()}\n")
        w = csv.DictWriter(fh, FIELDS)
        w.writeheader()
        w.writerows(kept + rows)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

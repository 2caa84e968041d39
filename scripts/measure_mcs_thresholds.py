"""Measure each MCS's AWGN requirement: the lowest Es/N0 (on a 0.25 dB grid) where the 5G transport
block error rate is at most 10 %, for one TB of ``--symbols`` channel uses (512: a 32x32 image at 1/6).

Writes ``phy/data/mcs_thresholds_awgn.csv`` (the table ``phy.digital`` ships), with this command in
its first line. A bisection between the Shannon limit and 6 dB above it; ``--tbs`` blocks per point.

    nice -n 5 python scripts/measure_mcs_thresholds.py --tbs 200 --threads 1
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from phy.channels import AWGNChannel  # noqa: E402
from phy.digital import (BLER_TARGET, LEGACY_MCS, SEMVIT_MCS, THRESHOLDS_FILE, TransportBlockQAM,  # noqa: E402
                         nr_grid, parse_mcs)

STEP_DB = 0.25


def bler(chain: TransportBlockQAM, snr_db: float, tbs: int, gen: torch.Generator) -> float:
    bits = torch.randint(0, 2, (tbs, chain.k), generator=gen).float()
    s = chain.modulate(bits)
    out = AWGNChannel()(s, torch.full((tbs,), snr_db), generator=gen)
    _, ok = chain.demodulate(out.s_hat, torch.full(s.shape, 10 ** (-snr_db / 10)))
    return 1.0 - float(ok.float().mean())


def threshold(chain: TransportBlockQAM, tbs: int, gen: torch.Generator) -> tuple[float, float]:
    """(lowest grid SNR with BLER <= 10 %, its BLER) by bisection from the Shannon limit."""
    shannon = 10 * math.log10(2 ** (chain.k / chain.num_symbols) - 1)
    lo = math.floor(shannon / STEP_DB)  # grid indices; lo fails (below capacity), hi passes
    hi = lo + int(6 / STEP_DB)
    b_hi = bler(chain, hi * STEP_DB, tbs, gen)
    while b_hi > BLER_TARGET:
        lo, hi = hi, hi + int(3 / STEP_DB)
        b_hi = bler(chain, hi * STEP_DB, tbs, gen)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        b = bler(chain, mid * STEP_DB, tbs, gen)
        if b <= BLER_TARGET:
            hi, b_hi = mid, b
        else:
            lo = mid
    return hi * STEP_DB, b_hi


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--symbols", type=int, default=512)
    p.add_argument("--tbs", type=int, default=200, help="transport blocks per SNR point")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", default=str(THRESHOLDS_FILE))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--schemes", default="all", help="all, nr (both NR tables), legacy (the nine fixed-rate "
                   "schemes and SemViT's) or semvit (SemViT's only)")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    if args.schemes not in ("all", "nr", "legacy", "semvit"):  # a comma-separated list of MCS names
        schemes = [parse_mcs(n) for n in args.schemes.split(",")]
    else:
        schemes = ((list(nr_grid()) if args.schemes in ("all", "nr") else [])
                   + ([parse_mcs(n) for n in LEGACY_MCS] if args.schemes in ("all", "legacy") else [])
                   + ([parse_mcs(n) for n in SEMVIT_MCS] if args.schemes in ("all", "legacy", "semvit") else []))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    command = "python scripts/measure_mcs_thresholds.py " + " ".join(argv if argv is not None else sys.argv[1:])
    with open(out, "w") as fh:
        fh.write(f"# {command.strip()} (AWGN, {args.symbols} symbols per TB, {args.tbs} TBs per point, "
                 f"{STEP_DB} dB grid, BLER <= {BLER_TARGET:g})\n")
        fh.write("mcs,bits_per_symbol,code_rate,tb_size,snr_db_bler10,bler_there\n")
        for m in schemes:
            chain = TransportBlockQAM(args.symbols, m)
            snr, b = threshold(chain, args.tbs, gen)
            fh.write(f"{m.name},{m.bits_per_symbol},{m.code_rate:.5f},{chain.k},{snr:g},{b:.3f}\n")
            fh.flush()
            print(f"{m.name:16s} {snr:6.2f} dB  BLER {b:.3f}", flush=True)


if __name__ == "__main__":
    main()

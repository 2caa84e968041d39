"""CPU time of the digital baseline's two hot spots, before and after the issue-13 speed work.

* LDPC decoding of transport blocks: Sionna's ``LDPC5GDecoder`` with 20 plain iterations against
  :class:`phy.digital.EarlyStopLDPC` (each code block stops once its CRC holds), over AWGN at the
  MCS's measured 10 %-BLER threshold and 1 and 3 dB above it; both BLERs are given.
* The per-image quality search (:meth:`semcom.codecs.ImageCodec.fit_psnr`) over a ladder of byte budgets,
  as the MCS and capacity budgets of a sweep ask for them: bisection (``GUESSES = 0``, the search before)
  against the log-size guesses; encodes counted, settings compared.

CPU seconds (``time.process_time``, one thread), median of ``--repeat`` runs.

    python benchmarks/bench_digital_speed.py --data ../shared/data/cifar10.npz --out benchmarks/results/digital_speed
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from phy.channels import AWGNChannel  # noqa: E402
from phy.digital import TransportBlockQAM, measured_thresholds  # noqa: E402
from semcom import codecs  # noqa: E402
from semcom.data import load_images  # noqa: E402

BUDGETS = (40, 64, 90, 130, 180, 230, 300, 380, 480, 600)  # bytes: a 32x32 image's TBs, MCS 5..27


def decode_times(symbols: int, mcs: str, tbs: int, repeat: int) -> list[dict]:
    from sionna.phy.fec.ldpc import LDPC5GDecoder

    chain = TransportBlockQAM(symbols, mcs)
    early = chain.decoder._decoder  # noqa: SLF001
    plain = LDPC5GDecoder(chain.encoder.ldpc_encoder, num_iter=20, hard_out=True, return_infobits=True, device="cpu")
    rows = []
    for above in (0.0, 1.0, 3.0):
        snr = measured_thresholds()[mcs] + above
        gen = torch.Generator().manual_seed(0)
        s = chain.modulate(torch.randint(0, 2, (tbs, chain.k), generator=gen).float())
        out = AWGNChannel()(s, torch.full((tbs,), snr), generator=gen)
        noise = torch.full(s.shape, 10 ** (-snr / 10))
        row = {"tb": f"{mcs}, {symbols} symbols, {chain.encoder.num_cbs} code blocks", "snr_db": snr}
        for name, dec in (("plain", plain), ("early", early)):
            chain.decoder._decoder = dec  # noqa: SLF001
            times = []
            for _ in range(repeat):
                t = time.process_time()
                _, ok = chain.demodulate(out.s_hat, noise)
                times.append(time.process_time() - t)
            row[f"{name}_s"], row[f"{name}_bler"] = statistics.median(times), int((~ok).sum()) / tbs
        chain.decoder._decoder = early  # noqa: SLF001
        rows.append(row)
        print(row, flush=True)
    return rows


def search_counts(images, names) -> list[dict]:
    rows = []
    for name in names:
        row = {"codec": name}
        found = {}
        for guesses in (0, codecs.GUESSES):
            codecs.GUESSES, saved = guesses, codecs.GUESSES
            codec, calls = codecs.CODECS[name](), [0]
            real = codec.encode
            codec.encode = lambda im, s, real=real: calls.__setitem__(0, calls[0] + 1) or real(im, s)
            t = time.process_time()
            found[guesses] = [codec.fit_psnr(im, b) for im in images for b in BUDGETS]
            row[f"encodes_{guesses}"], row[f"cpu_{guesses}_s"] = calls[0], time.process_time() - t
            codecs.GUESSES = saved
        a, b = found.values()
        row["same_setting"] = sum((x is None) == (y is None) and (x is None or x[0] == y[0]) for x, y in zip(a, b))
        row["fits"] = len(a)
        rows.append(row)
        print(row, flush=True)
    return rows


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True)
    p.add_argument("--images", type=int, default=10)
    p.add_argument("--tbs", type=int, default=40)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--out", required=True, help="path without suffix: writes .md")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    load0 = os.getloadavg()[0]
    dec = decode_times(512, "nr64-mcs11", args.tbs, args.repeat) + \
        decode_times(4600, "nr64-mcs14", max(1, args.tbs // 4), args.repeat)
    images = load_images(args.data).subset(args.images).images
    search = search_counts(images, codecs.available_codecs())
    command = "python benchmarks/bench_digital_speed.py " + " ".join(argv if argv is not None else sys.argv[1:])
    lines = ["# Digital baseline: LDPC early stopping and the quality search (CPU seconds, one thread)", "",
             f"`{command}`", "", f"Load average {load0:.1f} at the start, {os.getloadavg()[0]:.1f} at the end "
             "(2 cores, shared): CPU seconds, medians of " f"{args.repeat} runs.", "",
             "| transport block | SNR (dB) | plain 20 it. (s) | early stop (s) | speed-up | BLER plain | BLER early |",
             "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['tb']} | {r['snr_db']:.2f} | {r['plain_s']:.2f} | {r['early_s']:.2f} | "
              f"{r['plain_s'] / r['early_s']:.1f}x | {r['plain_bler']:.3f} | {r['early_bler']:.3f} |" for r in dec]
    lines += ["", f"Quality search: {args.images} CIFAR-10 test images x {len(BUDGETS)} byte budgets "
              f"({', '.join(map(str, BUDGETS))}), each codec fresh (empty cache).", "",
              "| codec | encodes, bisection | encodes, guesses | CPU bisection (s) | CPU guesses (s) | same setting |",
              "|---|---|---|---|---|---|"]
    g = codecs.GUESSES
    lines += [f"| {r['codec']} | {r['encodes_0']} | {r[f'encodes_{g}']} | {r['cpu_0_s']:.1f} | {r[f'cpu_{g}_s']:.1f} | "
              f"{r['same_setting']} of {r['fits']} |" for r in search]
    Path(args.out).with_suffix(".md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

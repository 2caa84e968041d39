"""The sampling-clock-offset estimate of genuine frames against frames spliced across two captures.

    python benchmarks/sco_estimates.py --threads 1 --out benchmarks/results/sco_estimates

Genuine: one semantic frame (a bundled 32x32 image, cnn, k/n 1/6) sent cyclically through the sim radio
(10 ppm CFO, 1 Hz phase noise; ``--channels``, sample SNRs ``--snr``: the body's SNR per resource
element is 2.7 dB higher) with a true SCO of 0 or ``faults.sco_ppm`` = 200 ppm (the most the sim and the
receiver's tracking allow), captured as a live exchange does (two frame lengths) and received
(``Transceiver.receive``). Spliced: two such captures of two different frames (a ``tx`` between them)
joined end to end, as a replay that ignored capture segments did; the frames that span the join.
Noise: white noise demodulated as a frame's body (no frame at all), ten times ``--frames`` bodies.
Real captures (``--iq``, skipped when absent): the frame added into each shared capture at the start,
middle, end and first read boundary at 20 / 10 / 5 dB SINR, as ``benchmarks/real_captures.py`` does.
Reported per case: frames, how many passed the header CRC, the |SCO estimate| of the decoded ones
(median, 99th percentile, max, in ppm), how many exceed each of ``--limits`` ppm, and the median PSNR
against the image the header names; then how many spliced frames and noise bodies lie above the largest
estimate of any genuine frame (what a threshold that drops no genuine frame measured here would catch).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from common import markdown_table, parse, preamble, write_results

from radio.config import RadioConfig
from radio.sim import SimRadio
from phy.timing import estimate_sco
from semcom.data import load_images, sample_images_dir, to_tensor
from semcom.metrics import psnr
from semcom.ota import Transceiver, ofdm_for_radio
from semcom.zoo import load_model
from tests.iq_captures import POSITIONS, load, mix

IMAGES = load_images(sample_images_dir()).images


def radio(channel: str, snr_db: float, sco_ppm: float, seed: int) -> SimRadio:
    return SimRadio(RadioConfig(driver="sim", center_frequency_hz=2.0e9, sample_rate_sps=1.92e6, rx_gain_db=0.0,
                                faults={"sco_ppm": sco_ppm} if sco_ppm else {},
                                options={"snr_db": snr_db, "cfo_ppm": 10.0, "phase_noise_linewidth_hz": 1.0,
                                         "channel": channel, "seed": seed}))


def measure(recs) -> list[tuple[float, float]]:
    """(|SCO estimate| ppm, PSNR dB against the image the header names) of the decoded receptions."""
    return [(abs(rec.sco_ppm), float(psnr(to_tensor(rec.image), to_tensor(IMAGES[rec.header.seq % len(IMAGES)]))))
            for rec in recs if rec.image is not None and rec.sco_ppm is not None]


def genuine(trx, channel, snr_db, sco_ppm, frames, seed) -> tuple[int, int, list]:
    r = radio(channel, snr_db, sco_ppm, seed)
    ok, values = 0, []
    for k in range(frames):
        frame = trx.jscc_frame(IMAGES[k % len(IMAGES)], seq=k)[0]
        r.tx(frame, cyclic=True)
        rec = trx.receive(r.rx(2 * frame.shape[-1]))
        ok += rec.header_ok
        values += measure([rec])
    return frames, ok, values


def spliced(trx, channel, snr_db, frames, seed) -> tuple[int, int, list]:
    r = radio(channel, snr_db, 0.0, seed)
    count, ok, values = 0, 0, []
    for k in range(frames):
        parts = []
        for j in (2 * k, 2 * k + 1):
            frame = trx.jscc_frame(IMAGES[j % len(IMAGES)], seq=j)[0]
            r.tx(frame, cyclic=True)
            parts.append(r.rx(2 * frame.shape[-1]))
        join = parts[0].shape[-1]
        recs = [x for x in trx.receive_all(np.concatenate(parts, -1)) if x.frame_start < join < (x.frame_end or 0)]
        count += len(recs)
        ok += sum(x.header_ok for x in recs)
        values += measure(recs)
    return count, ok, values


def noise_only(trx, frames, seed) -> tuple[int, int, list]:
    """The estimate on bodies of white noise (no frame at all), the frame's length: (|SCO| ppm, no PSNR)."""
    num_symbols = trx.model.num_symbols(*IMAGES[0].shape[:2])
    length = trx.link.num_samples(num_symbols)
    noise = torch.randn(frames, 1, length, dtype=torch.complex64, generator=torch.Generator().manual_seed(seed))
    eps = estimate_sco(trx.link.demodulator(noise), trx.link.blocks(num_symbols)["grid"])
    return frames, 0, [(abs(float(e)) * 1e6, float("nan")) for e in eps]


def real_captures(model, iq: str, sinr_db: float) -> tuple[int, int, list]:
    """The frame (seq 0) added into every capture under ``iq`` at every position, at ``sinr_db``."""
    count, ok, values = 0, 0, []
    for meta in sorted(Path(iq).glob("*/*.sigmf-meta")):
        capture, rate = load(meta)
        trx = Transceiver(model, "cnn", ofdm_for_radio(1, 1, rate))
        frame = trx.jscc_frame(IMAGES[0], 0)[0][0]
        for pos in POSITIONS:
            recs = trx.receive_all(mix(capture, frame, pos, sinr_db, 1e3, 0.5))[:1]
            count += 1
            ok += sum(r.header_ok for r in recs)
            values += measure(recs)
    return count, ok, values


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--channels", default="awgn,tdl-a")
    p.add_argument("--snr", default="-3,7,17", help="sample SNRs (dB) of the sim radio")
    p.add_argument("--frames", type=int, default=20, help="frames (genuine) or capture pairs (spliced) per case")
    p.add_argument("--iq", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "iq"))
    p.add_argument("--limits", default="400,2000,5000", help="ppm: count the estimates above each")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", default="benchmarks/results/sco_estimates")
    args = parse(p, argv)
    limits = [float(v) for v in args.limits.split(",")]
    trx = Transceiver(load_model("cnn"), "cnn", ofdm_for_radio(1, 1, 1.92e6))
    rows = []
    pending = [("-", None, "white noise as the body (no frame)", noise_only(trx, 10 * args.frames, seed=0))]
    for channel in args.channels.split(","):
        for snr in map(float, args.snr.split(",")):
            cases = [(f"genuine, true SCO {s:g} ppm", genuine(trx, channel, snr, s, args.frames, seed=int(s) + 1))
                     for s in (0.0, 200.0)]
            cases.append(("spliced across two captures", spliced(trx, channel, snr, args.frames, seed=7)))
            pending += [(channel, snr, case, result) for case, result in cases]
    if any(Path(args.iq).glob("*/*.sigmf-meta")):
        pending += [("real captures", sinr, "genuine, added into the shared captures",
                     real_captures(trx.model, args.iq, sinr)) for sinr in (20.0, 10.0, 5.0)]
    for channel, snr, case, (n, ok, values) in pending:
        sco = np.array([v[0] for v in values]) if values else np.zeros(0)
        rows.append({"channel": channel, "sample_snr_db": snr, "case": case, "frames": n, "header_ok": ok,
                     "estimates": len(values),
                     "sco_median_ppm": round(float(np.median(sco)), 1) if len(sco) else None,
                     "sco_p99_ppm": round(float(np.percentile(sco, 99)), 1) if len(sco) else None,
                     "sco_max_ppm": round(float(sco.max()), 1) if len(sco) else None,
                     **{f"over_{lim:g}": int((sco > lim).sum()) for lim in limits},
                     "psnr_median_db": round(float(np.median([v[1] for v in values])), 2) if ok else None})
        print(rows[-1], flush=True)
    header = ["channel", "sample SNR dB", "case", "frames", "header OK", "estimates", "abs SCO median ppm",
              "p99 ppm", "max ppm"] + [f"> {lim:g} ppm" for lim in limits] + ["PSNR median dB"]
    body = [[r["channel"], "-" if r["sample_snr_db"] is None else f"{r['sample_snr_db']:g}", r["case"], r["frames"],
             r["header_ok"], r["estimates"], r["sco_median_ppm"], r["sco_p99_ppm"], r["sco_max_ppm"]]
            + [r[f"over_{lim:g}"] for lim in limits] + [r["psnr_median_db"]] for r in rows]
    lines = ["# SCO estimates: genuine frames vs frames spliced across captures", ""]
    lines += preamble("benchmarks/sco_estimates.py", argv, models=("cnn",)) + markdown_table(header, body)
    lines += ["", summary(pending)]
    write_results(args.out, rows, lines)


def summary(pending) -> str:
    """How many spliced frames and noise bodies lie above every genuine frame's |SCO estimate|."""
    def sco(kind):
        return [v[0] for *_, case, (_, _, values) in pending if case.startswith(kind) for v in values]

    top = max(sco("genuine"))
    above = {kind: (sum(v > top for v in sco(kind)), len(sco(kind))) for kind in ("spliced", "white noise")}
    return (f"Largest |SCO estimate| of a decoded genuine frame: {top:.0f} ppm ({len(sco('genuine'))} frames). "
            f"Above it: spliced frames {above['spliced'][0]} of {above['spliced'][1]}, "
            f"white-noise bodies {above['white noise'][0]} of {above['white noise'][1]}.")


if __name__ == "__main__":
    torch.set_grad_enabled(False)
    main()

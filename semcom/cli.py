"""The ``semcom`` command line. Each command is a function of parsed arguments;
``main(argv)`` returns the exit status, so tests call it directly.

Errors a user can cause (bad paths, configs, checkpoints, images) print one
line ``semcom: error: …`` and exit with status 2; ``SEMCOM_DEBUG=1`` shows the
traceback instead.
"""

from __future__ import annotations

import argparse
import json

import os
import sys
import warnings

from .commands import show_progress, _command, _count, _HelpFormatter, _positive_int, _snr_list, _str_list, user_errors
from .commands import eval as eval_command
from .commands import export as export_command
from .commands import ota as ota_command
from .commands import train as train_command
from .commands import zoo as zoo_command
from .analysis.cli import add_parser as add_analyze_parser
from .gnuradio import cli as gnuradio_cli
from . import fpga_cli


def set_threads(threads: int | None) -> None:
    """Set torch's intra-op threads from ``--threads`` or ``SEMCOM_THREADS``."""
    import torch

    threads = threads or (int(os.environ["SEMCOM_THREADS"]) if os.environ.get("SEMCOM_THREADS") else None)
    if threads:
        torch.set_num_threads(threads)


def sweep_link_kwargs(args) -> dict:
    """The OFDM receiver and transmitter options of ``semcom sweep`` (``LinkConfig`` fields)."""
    return {"estimator": args.estimator, "equalizer": args.equalizer, "precoding": args.precoding,
            "interleave": not args.no_interleave, "domain": args.domain, "clip_ratio_db": args.clip}


def _check_csv_out(out: str | None) -> None:
    """A sweep's ``--out`` must name a CSV file whose folder can exist; checked before any work."""
    if out is None:
        return
    from pathlib import Path

    path = Path(out)
    if out.endswith(("/", "\\")) or path.is_dir():
        raise ValueError(f"--out {out} is a folder: name the CSV to write, e.g. {path / 'sweep.csv'}")
    if path.suffix.lower() != ".csv":
        raise ValueError(f"--out {out}: a sweep writes a .csv file (and a .png and .json beside it)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"--out {out}: cannot create folder {path.parent}: {exc.strerror}") from exc


def cmd_sweep(args) -> int:
    from .sweep import run_sweep

    _check_csv_out(args.out)

    rows = run_sweep(args.model, args.data, link=args.link, baselines=args.baseline, ratio=args.ratio, channels=args.channel, mimos=args.mimo, pas=args.pa,
                     ibos=args.ibo, snrs=args.snr, limit=args.limit, offset=args.offset, out=args.out,
                     progress=show_progress(args),
                     link_kwargs=sweep_link_kwargs(args), mosaic=args.mosaic, mismatches=args.snr_mismatch)
    if args.json:
        keys = ("snr_db", "mismatch_db", "psnr_db", "papr_db_1e-3", "scheme", "ssim", "ber", "bler", "link", "channel",
                "mimo", "pa", "ibo_db", "n_images", "mcs")
        print(json.dumps([{k: (None if r.get(k, "") == "" else r[k]) for k in keys} for r in rows]))
    else:
        for r in rows:
            papr = f"{r['papr_db_1e-3']:5.2f} dB" if r["papr_db_1e-3"] != "" else "  -  "
            bler = f"  BLER {r['bler']:.3f}" if r["bler"] != "" else ""
            bler += f"  {r['mcs']}" if r.get("mcs") else ""
            snr = f"snr={r['snr_db']:5.1f}"
            snr += f" (channel {r['snr_db'] - r['mismatch_db']:g})" if r["mismatch_db"] else ""
            print(f"{r['scheme']:>22s} {r['link']:4s} {r['channel']:9s} {r['mimo']} pa={r['pa']:<6s} "
                  f"ibo={r['ibo_db']:4.1f} {snr}  PSNR {r['psnr_db']:6.2f} dB  "
                  f"SSIM {r['ssim']:.4f}  PAPR(1e-3) {papr}{bler}")
    return 0


def cmd_demo(args) -> int:
    from .demo import run_demo

    from .photos import default_photo

    photo = None if args.photo == "none" else (args.photo or default_photo())
    run_demo(models=args.models, snrs_db=args.snr, channel=args.channel, out=args.out, data=args.data, photo=photo)
    return 0


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"semcom: warning: {message}", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="semcom", description="Semantic communication over a simulated or real radio.",
                                     formatter_class=_HelpFormatter)
    parser.add_argument("--threads", type=_positive_int, default=None,
                        help="torch CPU threads (default: $SEMCOM_THREADS or torch's choice)")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (train_command.add_parser, eval_command.add_parser, _add_sweep, ota_command.add_parser, _add_demo,
                export_command.add_parser, zoo_command.add_parser, gnuradio_cli.add_parser, add_analyze_parser,
                fpga_cli.add_parser):
        add(sub)
    return parser


def _add_sweep(sub) -> None:
    p = _command(sub, "sweep", "PSNR/PAPR sweeps over SNR, channel, MIMO, PA and IBO (CSV + PNG)", 'PSNR, SSIM, PAPR and BER/BLER over SNR x channel x MIMO x PA x IBO, for models and digital\nbaselines on the same link. Appends to a CSV (resumable) and draws a PNG beside it.', cmd_sweep)
    p.add_argument("--model", type=_str_list, default=[], help="zoo names or checkpoints, comma-separated")
    p.add_argument("--baseline", type=_str_list, default=[],
                   help="digital baselines: digital (every codec with every 5G NR MCS: per-codec, best-ldpc, "
                        "best-ldpc-practical and best@capacity rows), jpeg-ldpc, heic-ldpc (nine MCS + best), "
                        "heic+nr64-mcs14, jpeg+ldpc1/2-16qam, heic@capacity, raw-256qam")
    p.add_argument("--mosaic", default=None,
                   help="e.g. 8x8 or 32x32: code the images 64 (1024) at a time as one picture under the "
                        "published CIFAR-10 BPG + LDPC baseline's byte budget (digital and @capacity baselines)")
    p.add_argument("--ratio", default="1/6", help="channel-use budget of the baselines, k/n")
    p.add_argument("--link", default="ofdm", help="ofdm (MIMO-OFDM PHY) or flat (symbol-wise channel)")
    p.add_argument("--channel", type=_str_list, default=["awgn"],
                   help="awgn, rayleigh, multipath, tdl-a..tdl-e, cdl-a..cdl-e (comma-separated)")
    p.add_argument("--mimo", type=_str_list, default=["1x1"],
                   help="tx x rx antennas, e.g. 1x1,2x2; tx x rx x streams for fewer streams (2x2x1: rank 1)")
    p.add_argument("--pa", type=_str_list, default=["none"], help="none, rapp, saleh, soft-limiter, memory-polynomial")
    p.add_argument("--ibo", type=_snr_list, default=[6.0], help="PA input back-off(s) in dB")
    p.add_argument("--snr", type=_snr_list, default=[0.0, 5.0, 10.0, 15.0, 20.0],
                   help="comma-separated SNRs in dB (what the transmitter believes; see --snr-mismatch)")
    p.add_argument("--snr-mismatch", type=_snr_list, default=[0.0],
                   help="D[,D...] dB: the channel delivers SNR - D while the JSCC encoder and decoder are told "
                        "SNR and the practical digital link picks its MCS for SNR (the digital cliff); genie "
                        "and capacity rows know the channel")
    p.add_argument("--estimator", default="ls", help="ls, lmmse or perfect")
    p.add_argument("--equalizer", default="lmmse", help="zf or lmmse")
    p.add_argument("--precoding", default="identity", help="identity or svd")
    p.add_argument("--no-interleave", action="store_true", help="map symbols in order (no shuffling)")
    p.add_argument("--domain", default="time", help="time (OFDM, PA, FIR channel) or freq (per-RE, no PA)")
    p.add_argument("--clip", type=float, default=None, help="clipping and filtering at this ratio to RMS (dB)")
    p.add_argument("--data", default=None, help="cifar10.npz (test split), cifar-10-batches-py/ or an image folder")
    p.add_argument("--limit", type=_positive_int, default=None, help="use only the first N images")
    p.add_argument("--offset", type=_count, default=0,
                   help="skip the first K images (a run in chunks: --offset 1024 --limit 1024; with --mosaic a "
                        "multiple of its images)")
    p.add_argument("--out", default=None, help="CSV to append to (resumes from it); a PNG is drawn beside it")
    p.add_argument("--json", action="store_true", help="print one JSON array to stdout")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _add_demo(sub) -> None:
    p = _command(sub, "demo", "shipped models over a simulated link on bundled images", 'The shipped models over simulated links on the bundled images: a PSNR table per link and a\nside-by-side PNG. Needs neither Sionna nor a GPU.', cmd_demo)
    p.add_argument("--models", default="cnn,vit", type=_str_list,
                   help="zoo models, comma-separated; over the OFDM link each one's -tdla-bf fine-tune is used "
                        "where the zoo has it")
    p.add_argument("--snr", type=_snr_list, default=[0.0, 5.0, 10.0, 15.0, 20.0], help="comma-separated SNRs in dB")
    p.add_argument("--channel", default="awgn", help="the flat link's channel: awgn, rayleigh or rayleigh-est")
    p.add_argument("--data", default=None, help="images to send (default: the bundled samples)")
    p.add_argument("--photo", default=None,
                   help="a photograph sent whole over the flat link with the photo models (default: the bundled "
                        "coffee.jpg; 'none' to skip); the PNG shows a crop of it at full resolution")
    p.add_argument("--out", default="runs/semcom_demo.png",
                   help="side-by-side PNG to write (a folder: DEMO/semcom_demo.png inside it)")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.argv = argv
    set_threads(args.threads)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return args.func(args)
    except KeyboardInterrupt:
        print("semcom: interrupted", file=sys.stderr)
        return 130
    except user_errors() as exc:
        if os.environ.get("SEMCOM_DEBUG"):
            raise
        print(f"semcom: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

"""The ``semcom`` command line. Each command is a function of parsed arguments;
``main(argv)`` returns the exit status, so tests call it directly.

Errors a user can cause (bad paths, configs, checkpoints, images) print one
line ``semcom: error: …`` and exit with status 2; ``SEMCOM_DEBUG=1`` shows the
traceback instead.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import os
import sys
import warnings

from .commands import _command, _HelpFormatter, _positive_int, _snr_list, _snr_value, _str_list, user_errors
from .commands import train as train_command
from .analysis.cli import add_parser as add_analyze_parser
from .gnuradio import cli as gnuradio_cli
from . import fpga_cli

RUNTIMES = ("torch", "onnx", "onnx-int8")  # semcom.runtime.RUNTIMES, kept here so that parsing needs no torch

def set_threads(threads: int | None) -> None:
    """Set torch's intra-op threads from ``--threads`` or ``SEMCOM_THREADS``."""
    import torch

    threads = threads or (int(os.environ["SEMCOM_THREADS"]) if os.environ.get("SEMCOM_THREADS") else None)
    if threads:
        torch.set_num_threads(threads)


def cmd_eval(args) -> int:
    from .evaluation import evaluate, format_table
    from .runtime import make_codec
    from .zoo import load_model

    model = load_model(args.model)
    model.warn_if_outside_snr_range(args.snr)
    rows = evaluate(model, args.data, snrs_db=args.snr, channel=args.channel, limit=args.limit,
                    batch_size=args.batch_size, progress=not args.quiet and (not args.json or sys.stderr.isatty()),
                    codec=make_codec(model, args.runtime, data=args.data))
    print(json.dumps(rows) if args.json else format_table(rows))
    return 0


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
                     ibos=args.ibo, snrs=args.snr, limit=args.limit, out=args.out,
                     progress=not args.json and not args.quiet,
                     link_kwargs=sweep_link_kwargs(args), mosaic=args.mosaic)
    if args.json:
        keys = ("snr_db", "psnr_db", "papr_db_1e-3", "scheme", "ssim", "ber", "bler", "link", "channel", "mimo",
                "pa", "ibo_db", "n_images", "mcs")
        print(json.dumps([{k: (None if r.get(k, "") == "" else r[k]) for k in keys} for r in rows]))
    else:
        for r in rows:
            papr = f"{r['papr_db_1e-3']:5.2f} dB" if r["papr_db_1e-3"] != "" else "  -  "
            bler = f"  BLER {r['bler']:.3f}" if r["bler"] != "" else ""
            bler += f"  {r['mcs']}" if r.get("mcs") else ""
            print(f"{r['scheme']:>22s} {r['link']:4s} {r['channel']:9s} {r['mimo']} pa={r['pa']:<6s} "
                  f"ibo={r['ibo_db']:4.1f} snr={r['snr_db']:5.1f}  PSNR {r['psnr_db']:6.2f} dB  "
                  f"SSIM {r['ssim']:.4f}  PAPR(1e-3) {papr}{bler}")
    return 0


def cmd_ota(args) -> int:
    from radio import RadioConfig, RadioError, open_radio

    from .data import load_images, sample_images_dir
    from .ota import Transceiver, ofdm_for_radio, run_ota
    from .zoo import load_model

    from dataclasses import replace

    from radio.file import SigMFRecorder

    cfg = RadioConfig.from_yaml(args.config)
    if args.play:
        if args.radio != "file":
            raise ValueError("--play replays a recording through the file radio: use --radio file")
        cfg = replace(cfg, driver="file", options={"path": args.play})
    elif args.radio != cfg.driver:
        raise ValueError(f"--radio {args.radio} but {args.config} configures driver {cfg.driver!r}")
    model = load_model(args.model)
    lo, hi = model.snr_range_db
    if not lo <= args.tx_snr <= hi:
        raise ValueError(f"--tx-snr {args.tx_snr:g} dB is outside {args.model}'s trained range {lo:g}..{hi:g} dB")
    images = load_images(args.image if args.image else sample_images_dir())
    image = images.images[0]
    ofdm = ofdm_for_radio(cfg.num_tx, cfg.num_rx, cfg.sample_rate_sps)
    from .runtime import make_codec

    trx = Transceiver(model, args.model, ofdm, tx_snr_db=args.tx_snr,
                      codec=make_codec(model, args.runtime, data=args.calibration_data))
    frames = args.frames or (10 ** 9 if args.loop else 1)
    stats = {"sent": 0, "lost": 0, "psnr": [], "baseline": []}
    last = {}
    live = _LiveStats() if args.loop and not args.json else None

    def on_frame(row, received):
        stats["sent"] += 1
        stats["lost"] += not row["detected"] or row["psnr_db"] is None
        if row["psnr_db"] is not None:
            stats["psnr"].append(row["psnr_db"])
        if row["baseline_psnr_db"] is not None:
            stats["baseline"].append(row["baseline_psnr_db"])
        last.update(received)
        if row.get("warning") and not stats.get("warned"):
            stats["warned"] = True
            print(f"semcom: warning: {row['warning']}", file=sys.stderr, flush=True)
        if args.json:
            keys = ("seq", "detected", "cfo_hz", "snr_est_db", "snr_decoder_db", "psnr_db", "ssim",
                    "baseline_psnr_db", "baseline_scheme", "error", "warning")
            print(json.dumps({k: row[k] for k in keys}), flush=True)
        elif live is not None:
            live.update(row, stats)
        else:
            print(_ota_line(row, stats), flush=True)

    try:
        radio = open_radio(cfg)
        if args.record:
            radio = SigMFRecorder(radio, args.record, description=f"semcom ota --model {args.model}")
        with radio:
            if live is not None:
                with live:
                    run_ota(radio, trx, image, frames=frames, baseline=args.baseline, on_frame=on_frame)
            else:
                run_ota(radio, trx, image, frames=frames, baseline=args.baseline, on_frame=on_frame)
    except KeyboardInterrupt:
        print(f"stopped: {stats['sent']} frames, {stats['lost']} lost", file=sys.stderr)
    except RadioError as exc:
        raise RadioError(f"radio {cfg.driver}: {exc}") from exc
    if args.out and last:
        _write_ota_png(args.out, image, last)
        if not args.json:
            print(f"wrote {args.out}")
    if stats["sent"] and not stats["psnr"]:
        print(f"semcom: error: no frame decoded: {stats['lost']} of {stats['sent']} lost "
              "(see each frame's error; check the gains, the SNR and that both ends use one model)", file=sys.stderr)
        return 1
    return 0


class _LiveStats:
    """A rich table, redrawn after every frame of ``semcom ota --loop``."""

    def __init__(self):
        from rich.live import Live

        self._live = Live(refresh_per_second=4)

    def __enter__(self):
        self._live.__enter__()
        return self

    def __exit__(self, *exc):
        return self._live.__exit__(*exc)

    def update(self, row: dict, stats: dict) -> None:
        from rich.table import Table

        def mean(v):
            return f"{np.mean(v):.2f} dB" if v else "-"

        t = Table(title="semcom ota", show_header=False)
        t.add_row("frames sent / lost", f"{stats['sent']} / {stats['lost']}")
        t.add_row("last CFO", f"{row['cfo_hz']:+.0f} Hz" if row["cfo_hz"] is not None else "-")
        t.add_row("last SNR estimate", f"{row['snr_est_db']:.1f} dB" if row["snr_est_db"] is not None else "-")
        t.add_row("semantic PSNR (last / mean)",
                  f"{row['psnr_db'] if row['psnr_db'] is not None else '-'} / {mean(stats['psnr'])}")
        t.add_row(f"baseline {row['baseline_scheme'] or ''} PSNR (last / mean)",
                  f"{row['baseline_psnr_db'] if row['baseline_psnr_db'] is not None else '-'} / "
                  f"{mean(stats['baseline'])}")
        t.add_row("last error", row["error"] or "")
        self._live.update(t)


def _ota_line(row: dict, stats: dict) -> str:
    if not row["detected"]:
        return f"frame {row['seq']}: {row['error'] or 'no frame detected'} (lost {stats['lost']}/{stats['sent']})"
    parts = [f"frame {row['seq']}: CFO {row['cfo_hz']:+.0f} Hz, SNR {row['snr_est_db']:.1f} dB"]
    if row["psnr_db"] is not None:
        parts.append(f"semantic PSNR {row['psnr_db']:.2f} dB")
    if row["baseline_psnr_db"] is not None:
        parts.append(f"{row['baseline_scheme']} PSNR {row['baseline_psnr_db']:.2f} dB")
    if row["error"]:
        parts.append(row["error"])
    return ", ".join(parts) + f" (lost {stats['lost']}/{stats['sent']})"


def _write_ota_png(path: str, image, received: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [("original", image)] + [(k, v) for k, v in received.items() if v is not None]
    fig, axes = plt.subplots(1, len(panels), figsize=(2.2 * len(panels), 2.4))
    for ax, (title, im) in zip(np.atleast_1d(axes), panels):
        ax.imshow(im, interpolation="nearest")
        ax.set_title(title, fontsize=8)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def cmd_demo(args) -> int:
    from .demo import run_demo

    run_demo(models=args.models, snrs_db=args.snr, channel=args.channel, out=args.out, data=args.data)
    return 0


def cmd_export(args) -> int:
    if args.onnx:
        from .onnx_export import cmd_export_onnx

        return cmd_export_onnx(args)
    if not args.checkpoint:
        raise ValueError("export needs --checkpoint (or --onnx --model NAME)")
    from .zoo import export

    entry = export(args.checkpoint, args.out or "model.pt", zoo_name=args.zoo_name)
    print(json.dumps(entry))
    return 0


def cmd_zoo(args) -> int:
    from .zoo import describe

    print(describe(as_json=args.json))
    return 0


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"semcom: warning: {message}", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="semcom", description="Semantic communication over a simulated or real radio.",
                                     formatter_class=_HelpFormatter)
    parser.add_argument("--threads", type=_positive_int, default=None,
                        help="torch CPU threads (default: $SEMCOM_THREADS or torch's choice)")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (train_command.add_parser, _add_eval, _add_sweep, _add_ota, _add_demo, _add_export, _add_zoo,
                gnuradio_cli.add_parser, add_analyze_parser, fpga_cli.add_parser):
        add(sub)
    return parser


def _add_eval(sub) -> None:
    p = _command(sub, "eval", "PSNR/SSIM per SNR of a model on a data set", 'Mean PSNR / SSIM / MS-SSIM of a model at each SNR over a flat channel, on a data set.', cmd_eval)
    p.add_argument("--model", required=True, help="zoo name (cnn, vit) or a checkpoint path")
    p.add_argument("--data", default=None, help="cifar10.npz (test split), cifar-10-batches-py/ or an image folder")
    p.add_argument("--limit", type=_positive_int, default=None, help="use only the first N images")
    p.add_argument("--channel", default="awgn", help="awgn, rayleigh or rayleigh-est")
    p.add_argument("--snr", type=_snr_list, default=[0.0, 5.0, 10.0, 15.0, 20.0], help="comma-separated SNRs in dB")
    p.add_argument("--batch-size", type=_positive_int, default=250, help="images per forward pass")
    p.add_argument("--json", action="store_true", help="print one JSON array to stdout")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--runtime", default="torch", choices=RUNTIMES, help="what runs the encoder and decoder")


def _add_sweep(sub) -> None:
    p = _command(sub, "sweep", "PSNR/PAPR sweeps over SNR, channel, MIMO, PA and IBO (CSV + PNG)", 'PSNR, SSIM, PAPR and BER/BLER over SNR x channel x MIMO x PA x IBO, for models and digital\nbaselines on the same link. Appends to a CSV (resumable) and draws a PNG beside it.', cmd_sweep)
    p.add_argument("--model", type=_str_list, default=[], help="zoo names or checkpoints, comma-separated")
    p.add_argument("--baseline", type=_str_list, default=[],
                   help="digital baselines: digital (every codec with every 5G NR MCS: per-codec, best-ldpc, "
                        "best-ldpc-practical and best@capacity rows), jpeg-ldpc, heic-ldpc (nine MCS + best), "
                        "heic+nr64-mcs14, jpeg+ldpc1/2-16qam, heic@capacity, raw-256qam")
    p.add_argument("--mosaic", default=None,
                   help="e.g. 8x8: code the images 64 at a time as one picture (the published CIFAR-10 "
                        "BPG + LDPC baseline's rule; baselines only)")
    p.add_argument("--ratio", default="1/6", help="channel-use budget of the baselines, k/n")
    p.add_argument("--link", default="ofdm", help="ofdm (MIMO-OFDM PHY) or flat (symbol-wise channel)")
    p.add_argument("--channel", type=_str_list, default=["awgn"],
                   help="awgn, rayleigh, multipath, tdl-a..tdl-e, cdl-a..cdl-e (comma-separated)")
    p.add_argument("--mimo", type=_str_list, default=["1x1"],
                   help="tx x rx antennas, e.g. 1x1,2x2; tx x rx x streams for fewer streams (2x2x1: rank 1)")
    p.add_argument("--pa", type=_str_list, default=["none"], help="none, rapp, saleh, soft-limiter, memory-polynomial")
    p.add_argument("--ibo", type=_snr_list, default=[6.0], help="PA input back-off(s) in dB")
    p.add_argument("--snr", type=_snr_list, default=[0.0, 5.0, 10.0, 15.0, 20.0], help="comma-separated SNRs in dB")
    p.add_argument("--estimator", default="ls", help="ls, lmmse or perfect")
    p.add_argument("--equalizer", default="lmmse", help="zf or lmmse")
    p.add_argument("--precoding", default="identity", help="identity or svd")
    p.add_argument("--no-interleave", action="store_true", help="map symbols in order (no shuffling)")
    p.add_argument("--domain", default="time", help="time (OFDM, PA, FIR channel) or freq (per-RE, no PA)")
    p.add_argument("--clip", type=float, default=None, help="clipping and filtering at this ratio to RMS (dB)")
    p.add_argument("--data", default=None, help="cifar10.npz (test split), cifar-10-batches-py/ or an image folder")
    p.add_argument("--limit", type=_positive_int, default=None, help="use only the first N images")
    p.add_argument("--out", default=None, help="CSV to append to (resumes from it); a PNG is drawn beside it")
    p.add_argument("--json", action="store_true", help="print one JSON array to stdout")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _add_ota(sub) -> None:
    p = _command(sub, "ota", "over-the-air demo: semantic and digital frames through a radio", 'Over-the-air demo: send an image as semantic frames (and digital-baseline frames) through a\nradio (sim, file, pluto, usrp, zmq) configured by a YAML file, receive, synchronise and decode.', cmd_ota)
    p.add_argument("--radio", required=True, help="sim, file, pluto, usrp or zmq; must match the config")
    p.add_argument("--config", required=True, help="hw_configs/<radio>.yaml")
    p.add_argument("--model", default="cnn", help="zoo name or checkpoint")
    p.add_argument("--image", default=None, help="image to send (default: a bundled sample)")
    p.add_argument("--baseline", default=None, help="digital baseline, e.g. heic-ldpc (MCS from the SNR estimate)")
    p.add_argument("--frames", type=_positive_int, default=None, help="frames to send (default 1; with --loop: no end)")
    p.add_argument("--loop", action="store_true", help="keep sending until interrupted (or --frames)")
    p.add_argument("--tx-snr", type=_snr_value, default=10.0,
                   help="SNR (dB) the encoder is told; must lie in the model's trained range")
    p.add_argument("--out", default=None, help="PNG of original / semantic / baseline")
    p.add_argument("--record", default=None, help="save every capture to this SigMF recording (.sigmf-meta)")
    p.add_argument("--play", default=None, help="replay a SigMF recording (with --radio file)")
    p.add_argument("--json", action="store_true", help="one JSON object per frame")
    p.add_argument("--runtime", default="torch", choices=RUNTIMES, help="what runs the receiver's decoder")
    p.add_argument("--calibration-data", default=None, help="onnx-int8: calibration images (default $SEMCOM_DATA)")


def _add_demo(sub) -> None:
    p = _command(sub, "demo", "shipped models over a simulated link on bundled images", 'The shipped models over simulated links on the bundled images: a PSNR table per link and a\nside-by-side PNG. Needs neither Sionna nor a GPU.', cmd_demo)
    p.add_argument("--models", default="cnn,vit", type=_str_list,
                   help="zoo models, comma-separated; over the OFDM link each one's -tdla-bf fine-tune is used "
                        "where the zoo has it")
    p.add_argument("--snr", type=_snr_list, default=[0.0, 5.0, 10.0, 15.0, 20.0], help="comma-separated SNRs in dB")
    p.add_argument("--channel", default="awgn", help="the flat link's channel: awgn, rayleigh or rayleigh-est")
    p.add_argument("--data", default=None, help="images to send (default: the bundled samples)")
    p.add_argument("--out", default="runs/semcom_demo.png",
                   help="side-by-side PNG to write (a folder: DEMO/semcom_demo.png inside it)")


def _add_export(sub) -> None:
    p = _command(sub, "export", "weights-only copy of a training checkpoint (EMA, float16), or ONNX graphs",
                 "Write a weights-only copy (EMA weights, float16) of a training checkpoint, optionally into the "
                 "zoo; or, with --onnx, the encoder and decoder of a model as ONNX graphs (fp32 and int8).",
                 cmd_export)
    p.add_argument("--checkpoint", default=None, help="a training run's checkpoint.pt")
    p.add_argument("--onnx", action="store_true", help="write ONNX graphs (fp32 and int8) of --model into --out")
    p.add_argument("--model", default=None, help="--onnx: zoo name or checkpoint")
    p.add_argument("--image-size", default="32x32", help="--onnx: HxW the graphs are built for")
    p.add_argument("--data", default=None, help="--onnx: CIFAR-10 for int8 calibration and the check (default $SEMCOM_DATA)")
    p.add_argument("--no-int8", action="store_true", help="--onnx: fp32 graphs only")
    p.add_argument("--out", default=None, help="file to write (default model.pt); with --onnx a folder")
    p.add_argument("--zoo-name", default=None, help="write into the package zoo under this name instead")


def _add_zoo(sub) -> None:
    p = _command(sub, "zoo", "list the shipped models",
                 "List the shipped models: architecture, ratio, the link and data they were trained on, "
                 "SHA-256 and model card.", cmd_zoo)
    p.add_argument("--json", action="store_true", help="print one JSON array to stdout")


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

"""``semcom fpga export``: parser and handler (registered by one line in semcom/cli.py).

The handler imports the ``fpga`` package lazily: ``semcom`` never imports it at load time.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path


def _snrs(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise ValueError(f"--snr must be comma-separated dB values, got {text!r}") from None


def add_parser(sub) -> None:
    from .commands import _command, _group

    fsub = _group(sub, "fpga", "HLS export (hls4ml) of the CNN encoder and decoder, C-simulated",
                  "The FPGA path: hls4ml projects of the CNN encoder and decoder (FiLM folded at --snr), "
                  "compiled and run as a C simulation, with a resource estimate.")
    e = _command(fsub, "export", "write the HLS projects, compile the C simulation, write DIR/report.json",
                 "Write the HLS projects, compile the C simulation, run it on CIFAR-10 test images through the "
                 "simulated link and write DIR/report.json.", cmd_fpga_export)
    e.add_argument("--model", default="cnn", help="zoo name or checkpoint (CNN family)")
    e.add_argument("--out", required=True, help="output folder")
    e.add_argument("--snr", type=_snrs, default=(10.0,), help="SNR(s) in dB folded into the weights, comma-separated")
    e.add_argument("--fps", type=float, default=30.0, help="frame rate the reuse factors meet")
    e.add_argument("--clock-mhz", type=float, default=200.0, help="FPGA clock the latency estimate assumes")
    e.add_argument("--target-size", type=int, default=256, help="side of the square images for fps and resources")
    e.add_argument("--weight-bits", type=int, default=12,
                   help="weight width (8 needs quantisation-aware training: 1.8 dB lost without)")
    e.add_argument("--act-bits", type=int, default=16, help="activation width (fixed point)")
    e.add_argument("--images", type=int, default=200, help="CIFAR-10 test images through the C simulation")
    e.add_argument("--data", default=None, help="cifar10.npz (default $SEMCOM_DATA; else the bundled samples)")


def cmd_fpga_export(args) -> int:
    import os

    from fpga.export import FPGAConfig, export_cnn

    from .data import DATA_ENV, load_images, sample_images_dir
    from .zoo import load_model

    try:
        import hls4ml  # noqa: F401
    except ImportError:
        raise ValueError("semcom fpga needs hls4ml: pip install 'semcom-sdr[fpga]'") from None
    if args.images < 1 or args.target_size < 4 or args.target_size % 4 or args.fps <= 0 or args.clock_mhz <= 0:
        raise ValueError("--images >= 1, --target-size a multiple of 4, --fps and --clock-mhz > 0")
    model = load_model(args.model)
    if args.data or os.environ.get(DATA_ENV):
        test = load_images(args.data, "test").subset(args.images).images
        calib = load_images(args.data, "train").subset(64).images
    else:
        test, calib = load_images(sample_images_dir()).images[:args.images], None
    cfg = FPGAConfig(snr_db=args.snr, fps=args.fps, clock_mhz=args.clock_mhz, target_size=args.target_size,
                     weight_bits=args.weight_bits, act_bits=args.act_bits)
    with contextlib.redirect_stdout(sys.stderr):  # hls4ml reports its progress on stdout; ours is the JSON line
        report = export_cnn(model, args.out, test, cfg, calibration=calib,
                            progress=lambda m: print(m, file=sys.stderr))
    report["command"] = "semcom " + " ".join(getattr(args, "argv", []))
    (Path(args.out) / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    keys = ("psnr_float_db", "psnr_fixed_db", "dsp", "bram36", "fps", "synthesis")
    print(json.dumps({k: report[k] for k in keys}))
    return 0

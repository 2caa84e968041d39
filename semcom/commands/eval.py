"""``semcom eval``: mean PSNR / SSIM / MS-SSIM of a model at each SNR over a flat channel."""

from __future__ import annotations

import json

from . import RUNTIMES, _command, _positive_int, _snr_list, show_progress


def add_parser(sub) -> None:
    p = _command(sub, "eval", "PSNR/SSIM per SNR of a model on a data set",
                 "Mean PSNR / SSIM / MS-SSIM of a model at each SNR over a flat channel, on a data set.", cmd_eval)
    p.add_argument("--model", required=True, help="zoo name (cnn, vit) or a checkpoint path")
    p.add_argument("--data", default=None, help="cifar10.npz (test split), cifar-10-batches-py/ or an image folder")
    p.add_argument("--limit", type=_positive_int, default=None, help="use only the first N images")
    p.add_argument("--channel", default="awgn", help="awgn, rayleigh or rayleigh-est")
    p.add_argument("--snr", type=_snr_list, default=[0.0, 5.0, 10.0, 15.0, 20.0], help="comma-separated SNRs in dB")
    p.add_argument("--batch-size", type=_positive_int, default=250, help="images per forward pass")
    p.add_argument("--json", action="store_true", help="print one JSON array to stdout")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--runtime", default="torch", choices=RUNTIMES, help="what runs the encoder and decoder")
    p.add_argument("--device", default="cpu", help="torch runtime: the device the model runs on, e.g. cuda")


def cmd_eval(args) -> int:
    from ..evaluation import evaluate, format_table
    from ..runtime import make_codec
    from ..zoo import load_model

    if args.device != "cpu" and args.runtime != "torch":
        raise ValueError(f"--device {args.device} needs --runtime torch, got {args.runtime}")
    model = load_model(args.model, device=args.device)
    model.warn_if_outside_snr_range(args.snr)
    rows = evaluate(model, args.data, snrs_db=args.snr, channel=args.channel, limit=args.limit,
                    batch_size=args.batch_size, progress=show_progress(args),
                    codec=make_codec(model, args.runtime, data=args.data), device=args.device)
    print(json.dumps(rows) if args.json else format_table(rows))
    return 0

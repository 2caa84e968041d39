"""``semcom train``: options, their merge with a YAML config, and the handler."""

from __future__ import annotations

import json
import shlex

from . import _command, _positive_int

# TrainConfig field -> (option, its value from the parsed arguments)
SCALAR_OPTIONS = {
    "arch": ("--arch", lambda a: a.arch), "data": ("--data", lambda a: a.data), "out": ("--out", lambda a: a.out),
    "epochs": ("--epochs", lambda a: a.epochs), "batch_size": ("--batch-size", lambda a: a.batch_size),
    "lr": ("--lr", lambda a: a.lr), "beta2": ("--beta2", lambda a: a.beta2),
    "channel": ("--channel", lambda a: a.channel), "papr_weight": ("--papr-weight", lambda a: a.papr_weight),
    "papr_target_db": ("--papr-target", lambda a: a.papr_target),
    "prior_weight": ("--prior-weight", lambda a: a.prior_weight), "prior": ("--prior", lambda a: a.prior),
    "prior_nu": ("--prior-nu", lambda a: a.prior_nu), "init_from": ("--init-from", lambda a: a.init_from),
    "limit": ("--limit", lambda a: a.limit), "val_limit": ("--val-limit", lambda a: a.val_limit),
    "val_holdout": ("--val-holdout", lambda a: a.val_holdout), "crop": ("--crop", lambda a: a.crop),
    "warmup_steps": ("--warmup-steps", lambda a: a.warmup_steps),
    "max_steps": ("--max-steps", lambda a: a.max_steps), "max_minutes": ("--max-minutes", lambda a: a.max_minutes),
    "seed": ("--seed", lambda a: a.seed),
    "save_every_s": ("--save-every", lambda a: a.save_every),
    "clip_grad_norm": ("--clip-grad", lambda a: a.clip_grad or None),
    "precision": ("--precision", lambda a: a.precision),
}
# LinkOptions field -> (option, value)
LINK_OPTIONS = {
    "mimo": ("--mimo", lambda a: a.mimo), "precoding": ("--precoding", lambda a: a.precoding),
    "pa": ("--pa", lambda a: a.pa), "ibo_db": ("--ibo", lambda a: a.ibo),
    "estimator": ("--estimator", lambda a: a.estimator), "equalizer": ("--equalizer", lambda a: a.equalizer),
    "domain": ("--domain", lambda a: a.domain), "clip_ratio_db": ("--clip", lambda a: a.clip),
}


def _given(argv: list[str], options) -> list[str]:
    """The ``options`` that appear on the command line (as ``--opt v`` or ``--opt=v``)."""
    return [o for o in options if any(a == o or a.startswith(o + "=") for a in argv)]


def _model_args(args, given: bool) -> dict:
    """``--ratio`` and ``--model-arg key=value`` as a model-config mapping (only what was given, with a
    YAML config underneath)."""
    model_cfg = {"ratio": args.ratio} if not given or _given(args.argv, ["--ratio"]) else {}
    for item in args.model_arg or []:
        key, _, value = item.partition("=")
        if not _ or not key:
            raise ValueError(f"--model-arg must look like key=value, got {item!r}")
        model_cfg[key] = json.loads(value) if value[:1] in "[{0123456789-" or value in ("true", "false") else value
    return model_cfg


def _link_settings(args, base: dict | None, from_yaml: bool) -> dict | None:
    """The OFDM link's options (over ``base``, the YAML's link, None there for a flat channel), or
    None for the flat channel, which refuses OFDM-only options."""
    given = _given(args.argv, [opt for opt, _ in LINK_OPTIONS.values()])
    ofdm = base is not None if from_yaml and not _given(args.argv, ["--link"]) else args.link == "ofdm"
    if args.link not in ("flat", "ofdm"):
        raise ValueError(f"--link must be 'flat' or 'ofdm', got {args.link!r}")
    if not ofdm:
        if given:
            raise ValueError(f"{', '.join(given)} need{'s' if len(given) == 1 else ''} --link ofdm: "
                             "they act on the MIMO-OFDM link only, the flat channel would ignore them")
        return None
    fresh = {name: value(args) for name, (opt, value) in LINK_OPTIONS.items() if base is None or opt in given}
    return {**(base or {}), **fresh}


def settings(args) -> dict:
    """TrainConfig fields from the command line, over ``--config``'s YAML where one is given:
    an option on the command line wins, the YAML fills the rest, defaults fill what neither names."""
    from ..train_config import TrainConfig

    base = {}
    if args.config:
        from dataclasses import asdict

        base = asdict(TrainConfig.from_yaml(args.config))
    d = dict(base)
    for name, (opt, value) in SCALAR_OPTIONS.items():
        if not base or _given(args.argv, [opt]):
            d[name] = value(args)
    d["model"] = {**base.get("model", {}), **_model_args(args, given=bool(base))}
    d["link"] = _link_settings(args, base.get("link"), from_yaml=bool(base))
    d["out"] = d.get("out") or f"runs/{d['arch']}"
    return d


def run(args) -> int:
    from ..train_config import TrainConfig
    from ..training import train

    cfg = TrainConfig.from_dict(settings(args), source=args.config or "command line")
    command = "semcom " + shlex.join(args.argv)
    result = train(cfg, resume=args.resume, progress=not args.quiet, command=command)
    if result:
        print(json.dumps(result))
    return 0


def add_parser(sub) -> None:
    p = _command(sub, "train", "train a deep-JSCC model (resumable; torchrun for DDP)", 'Train a deep-JSCC model on CIFAR-10 or an image folder, over a flat channel or through the\nMIMO-OFDM link. Resumable (--resume), with atomic checkpoints, EMA weights, a CSV + PNG log;\nlaunch under torchrun for DDP.', run)
    p.add_argument("--config", default=None,
                   help="YAML of training settings (TrainConfig fields); options given here override it")
    p.add_argument("--arch", choices=("cnn", "swin", "vit"), default="cnn", help="model family")
    p.add_argument("--ratio", default="1/6", help="bandwidth ratio k/n, e.g. 1/6 or 1/12")
    p.add_argument("--model-arg", action="append", metavar="KEY=VALUE",
                   help="architecture argument, e.g. channels=96 (repeatable)")
    p.add_argument("--data", default=None, help="cifar10.npz, cifar-10-batches-py/ or an image folder (default $SEMCOM_DATA)")
    p.add_argument("--out", default=None, help="run folder for checkpoint.pt, log.csv, log.png (default: runs/ARCH)")
    p.add_argument("--epochs", type=_positive_int, default=100, help="length of the cosine schedule")
    p.add_argument("--batch-size", type=_positive_int, default=64, help="images per step and process")
    p.add_argument("--lr", type=float, default=1e-3, help="peak AdamW learning rate")
    p.add_argument("--beta2", type=float, default=0.999,
                   help="AdamW second-moment decay; 0.98-0.95 damps loss spikes (applies on --resume too)")
    p.add_argument("--channel", default="awgn",
                   help="flat link: awgn, rayleigh, rayleigh-est; OFDM link: awgn, rayleigh, multipath, tdl-a.., cdl-a..")
    p.add_argument("--link", default="flat", help="flat (symbol-wise channel) or ofdm (the MIMO-OFDM PHY)")
    p.add_argument("--mimo", default="1x1", help="OFDM link antennas, tx x rx, or tx x rx x streams (2x2x1: rank 1)")
    p.add_argument("--precoding", default="identity", help="OFDM link precoding: identity or svd (transmitter CSI)")
    p.add_argument("--pa", default="none", help="OFDM link PA model")
    p.add_argument("--ibo", type=float, default=6.0, help="PA input back-off in dB")
    p.add_argument("--estimator", default="ls", help="OFDM link channel estimator: ls, lmmse, perfect")
    p.add_argument("--equalizer", default="lmmse", help="OFDM link equaliser: zf, lmmse")
    p.add_argument("--domain", default="time", help="OFDM link channel: time (with PA) or freq (fast, no PA)")
    p.add_argument("--clip", type=float, default=None,
                   help="OFDM link clipping and filtering at this ratio to RMS (dB), trained through")
    p.add_argument("--papr-weight", type=float, default=0.0, help="weight of the PAPR penalty")
    p.add_argument("--papr-target", type=float, default=6.0, help="PAPR (dB) above which the penalty acts")
    p.add_argument("--prior-weight", type=float, default=0.0, help="weight of the symbol-prior regulariser")
    p.add_argument("--prior", default="gaussian", help="gaussian or student-t")
    p.add_argument("--prior-nu", type=float, default=5.0, help="Student's-t degrees of freedom")
    p.add_argument("--init-from", default=None, help="start from these weights (zoo name or checkpoint)")
    p.add_argument("--limit", type=_positive_int, default=None, help="use only the first N training images")
    p.add_argument("--val-limit", type=_positive_int, default=1000, help="validation images per epoch")
    p.add_argument("--crop", type=_positive_int, default=32,
                   help="image folders of mixed sizes: train on random CROP x CROP crops")
    p.add_argument("--warmup-steps", type=int, default=500, help="linear learning-rate warm-up steps")
    p.add_argument("--val-holdout", type=int, default=0,
                   help="image folders: validate on the last N images (by name), train on the others")
    p.add_argument("--max-steps", type=_positive_int, default=None, help="stop after this many optimizer steps")
    p.add_argument("--max-minutes", type=float, default=None,
                   help="stop after this many minutes of training in this invocation (then validate and save)")
    p.add_argument("--save-every", type=float, default=300.0, help="seconds between mid-epoch checkpoints")
    p.add_argument("--clip-grad", type=float, default=1.0, help="gradient-norm clipping (0 = off)")
    p.add_argument("--seed", type=int, default=0, help="seed of weights, batches and noise")
    p.add_argument("--precision", default="fp32", choices=["fp32", "bf16"],
                   help="bf16: the model body trains under bfloat16 autocast (power normalisation, "
                        "channel and loss stay float32); faster on CPUs with AVX512-BF16/AMX and on GPUs")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt if it exists")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

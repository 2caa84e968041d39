"""``semcom analyze {similarity,fourier,symbols,prior,papr}``: the parser and its handler."""

from __future__ import annotations

import json
from pathlib import Path

ANALYSES = ("similarity", "fourier", "symbols", "prior", "papr")


def add_parser(sub) -> None:
    """Register ``analyze`` on the ``semcom`` subparsers."""
    from ..commands import _HelpFormatter, _positive_int, _snr_list, _str_list

    p = sub.add_parser("analyze", help="analyses of trained models: block similarity, Fourier, symbols, prior, PAPR",
                       description="Each analysis writes OUT/<analysis>.csv and OUT/<analysis>.png.",
                       formatter_class=_HelpFormatter)
    p.add_argument("analysis", choices=ANALYSES, help="which analysis")
    p.add_argument("--model", type=_str_list, default=["cnn", "vit"], help="zoo names or checkpoints, comma-separated")
    p.add_argument("--data", default=None, help="cifar10.npz (test split), cifar-10-batches-py/ or an image folder")
    p.add_argument("--limit", type=_positive_int, default=None, help="first N images")
    p.add_argument("--crop", type=_positive_int, default=None, help="centre-crop every image to CROP x CROP")
    p.add_argument("--snr", type=_snr_list, default=[0.0, 10.0, 20.0], help="comma-separated SNRs in dB")
    p.add_argument("--blocks", default=None,
                   help="similarity/fourier: regex on module names (default: every nn.ModuleList member)")
    p.add_argument("--batch-size", type=_positive_int, default=50, help="images per forward pass")
    p.add_argument("--bootstrap", type=int, default=0,
                   help="symbols: resample the images N times for a 90%% interval of nu (0: off)")
    p.add_argument("--prior-weight", type=float, default=0.1, help="prior: the regularised arm's weight")
    p.add_argument("--seeds", type=_positive_int, default=3, help="prior: seeds 0..N-1 per arm")
    p.add_argument("--epochs", type=_positive_int, default=30, help="prior: epochs of LIMIT/32 steps each")
    p.add_argument("--out", default="runs/analysis", help="folder for the CSV, PNG (and prior's training runs)")
    p.add_argument("--json", action="store_true", help="print the results as one JSON object")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_analyze)


def cmd_analyze(args) -> int:
    out = Path(args.out)
    progress = not args.quiet and not args.json
    common = {"data": args.data, "out": out, "limit": args.limit, "crop": args.crop, "progress": progress}
    if args.analysis == "similarity":
        from .similarity import analyze_similarity

        result = analyze_similarity(args.model, snrs=args.snr, blocks=args.blocks, batch_size=args.batch_size, **common)
    elif args.analysis == "fourier":
        from .fourier import analyze_fourier

        result = analyze_fourier(args.model, snrs=args.snr, blocks=args.blocks, batch_size=args.batch_size, **common)
    elif args.analysis == "symbols":
        from .symbols import analyze_symbols

        result = analyze_symbols(args.model, snrs=args.snr, batch_size=args.batch_size, bootstrap=args.bootstrap,
                                 **common)
    elif args.analysis == "papr":
        from .papr import analyze_papr

        result = analyze_papr(args.model, snrs=args.snr, batch_size=args.batch_size, **common)
    else:
        from .prior import PriorExperiment, analyze_prior

        exp = PriorExperiment(data=args.data, out=str(out), prior_weight=args.prior_weight,
                              seeds=tuple(range(args.seeds)), epochs=args.epochs,
                              **({"limit": args.limit} if args.limit else {}))
        result = analyze_prior(exp, out, progress=progress)
    print(json.dumps(result) if args.json else summary(result))
    return 0


def summary(result: dict) -> str:
    """A few readable lines per analysis (``--json`` prints everything)."""
    kind = result["analysis"]
    if kind == "prior":
        lines = [f"validation PSNR at {result['snr_db']:g} dB; target {result['target_psnr_db']:.2f} dB"]
        for arm, s in result["arms"].items():
            lines.append(f"{arm:>22s}: final {s['final_psnr_db']:.2f} ± {s['final_psnr_std_db']:.2f} dB, "
                         f"mean over steps {s['mean_psnr_db']:.2f} dB, steps to target {s['steps_to_target']}")
        return "\n".join(lines)
    lines = []
    for r in result["rows"]:
        if kind == "symbols":
            ci = f" [{r['nu_5pct']:.1f}, {r['nu_95pct']:.1f}]" if "nu_5pct" in r else ""
            lines.append(f"{r['model']:>10s} {r['snr_db']:5.1f} dB  nu {r['nu']:7.2f}{ci}  kurtosis {r['kurtosis']:6.3f}  "
                         f"KS(Gaussian) {r['ks_gaussian']:.4f}  KS(t) {r['ks_student_t']:.4f}")
        elif kind == "papr":
            lines.append(f"{r['model']:>10s} {r['snr_db']:5.1f} dB  PAPR(1e-3) {r['papr_db_1e-3']:.2f} dB  "
                         f"Gaussian symbols {r['gaussian_papr_db_1e-3']:.2f} dB  theory {r['theory_papr_db_1e-3']:.2f} dB")
        else:
            value = r["cos_sim"] if kind == "similarity" else r["high_freq_rel_amp"]
            lines.append(f"{r['model']:>10s} {r['snr_db']:5.1f} dB  {r['block']:>18s}  {value:.4f}")
    return "\n".join(lines)

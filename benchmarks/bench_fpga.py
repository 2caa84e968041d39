"""The FPGA path's numbers: resource/throughput estimate per layer and the C-simulation PSNR.

    python benchmarks/bench_fpga.py --out benchmarks/results/fpga_cnn
    python benchmarks/bench_fpga.py --report DIR/report.json --out benchmarks/results/fpga_cnn

Without ``--report`` only the estimate is computed (seconds; the formula is in
``fpga/estimate.py``). With the ``report.json`` of
``semcom fpga export --model cnn --out DIR --images 200`` (which runs the g++ C
simulation, tens of minutes on two cores) the PSNR float vs fixed point per SNR
is tabulated too, with that report's estimate.
"""

from __future__ import annotations

import argparse
import json
import sys

from common import preamble, write_results

from fpga.estimate import REFERENCE, XCZU5EG
from fpga.export import FPGAConfig, half_estimate
from fpga.fold import fold_cnn
from semcom.zoo import load_model


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="cnn")
    p.add_argument("--report", default=None, help="report.json of semcom fpga export")
    p.add_argument("--fps", type=float, default=30.0)
    p.add_argument("--clock-mhz", type=float, default=200.0)
    p.add_argument("--target-size", type=int, default=256)
    p.add_argument("--weight-bits", type=int, default=12)
    p.add_argument("--act-bits", type=int, default=16)
    p.add_argument("--out", default="benchmarks/results/fpga_cnn")
    args = p.parse_args(argv)
    report = json.loads(open(args.report).read()) if args.report else None
    if report:
        estimates = report["estimate"]
        settings = (f"{report['target_size'][0]}x{report['target_size'][1]} images at {report['target_fps']:g} fps, "
                    f"{report['clock_mhz']:g} MHz, {report['weight_bits']}-bit weights, "
                    f"{report['act_bits']}-bit activations")
    else:
        cfg = FPGAConfig(fps=args.fps, clock_mhz=args.clock_mhz, target_size=args.target_size,
                         weight_bits=args.weight_bits, act_bits=args.act_bits)
        model = load_model(args.model)
        enc, dec = fold_cnn(model, 10.0)
        estimates = {"encoder": half_estimate(enc, 3, cfg.target_size, cfg)[1],
                     "decoder": half_estimate(dec, model.reals_per_block, cfg.target_size // 4, cfg)[1]}
        settings = (f"{cfg.target_size}x{cfg.target_size} images at {cfg.fps:g} fps, {cfg.clock_mhz:g} MHz, "
                    f"{cfg.weight_bits}-bit weights, {cfg.act_bits}-bit activations")
    rows = [{"half": h, **layer} for h, e in estimates.items() for layer in e["layers"]]
    bram_budget = XCZU5EG["bram36"] + 8 * XCZU5EG["uram"]
    lines = preamble("benchmarks/bench_fpga.py", argv, [args.model]) + [
        f"Estimate for {settings} (formula: `fpga/estimate.py`), against the xczu5eg "
        f"({XCZU5EG['dsp']} DSP, {XCZU5EG['bram36']} BRAM36 + {XCZU5EG['uram']} URAM = {bram_budget} BRAM36 "
        f"equivalents).", "",
        "| half | GMAC/image | DSP | BRAM36 (weights + buffers) | fps | latency (ms) | DSP use | BRAM use | fits |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for h, e in estimates.items():
        lines.append(f"| {h} | {e['macs_per_image'] / 1e9:.2f} | {e['dsp']} | {e['bram36']} ({e['bram36_weights']} + "
                     f"{e['bram36_buffers']}) | {e['fps']:.1f} | {e['latency_ms']:.0f} | {e['dsp_fraction']:.0%} | "
                     f"{e['bram36_fraction']:.0%} | {'yes' if e['fits'] else 'no'} |")
    lines += ["", "Reference (DeepJSCC-Q on xczu5eg, hand-written RTL, 2.33 GMAC/frame, 256x256 at 30 fps): "
              + "; ".join(f"{k} {v['dsp']} DSP, {v['bram36']} BRAM36, {v['lut'] / 1e3:.1f}k LUT"
                          for k, v in REFERENCE.items()) + "."]
    if report:
        lines += ["", f"Report made by `{report.get('command', 'semcom fpga export')}`.", "",
                  f"C simulation (g++, hls4ml {report.get('hls4ml', '')}) on {report['images']} CIFAR-10 test "
                  f"images through AWGN, FiLM folded at each SNR; rounding {report['rounding']}, "
                  f"overflow {report['overflow']}:", "",
                  "| SNR (dB) | PSNR float (dB) | PSNR fixed (dB) | loss (dB) |", "| --- | --- | --- | --- |"]
        for snr, f in report["psnr_float_db"].items():
            q = report["psnr_fixed_db"][snr]
            lines.append(f"| {snr} | {f:.3f} | {q:.3f} | {f - q:.3f} |")
    write_results(args.out, rows, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())

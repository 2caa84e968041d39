"""``semcom fpga export``: a CNN model's encoder and decoder as hls4ml projects, C-simulated.

Steps: fold SNR FiLM into the convolutions at ``snr_db`` (:mod:`fpga.fold`);
choose a reuse factor per layer for ``fps`` at ``clock_mhz`` on
``target_size`` images and estimate DSP/BRAM/fps (:mod:`fpga.estimate`);
profile precisions and convert with hls4ml (:mod:`fpga.hls`); write one
project per half for the target size (for vitis_hls) and compile one per half
for the test images' size with g++ (the C simulation); send the images
through float and fixed-point bodies and the same AWGN noise; write
``report.json``.

Power normalisation (one sum of squares and one reciprocal square root per
frame) stays outside the HLS bodies, in float, for both the float and the
fixed-point path: hls4ml has no layer for a whole-frame reduction.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from semcom.data import to_tensor
from semcom.metrics import psnr
from semcom.models.cnn import CNNJSCC

from . import estimate as est
from . import hls
from .fold import FoldedResBlock, fold_cnn


@dataclass
class FPGAConfig:
    """:param snr_db: the SNR folded into the weights (one project per SNR).
    :param fps, clock_mhz, target_size: the frame rate the reuse factors meet, on square images of this side.
    :param weight_bits, act_bits: fixed-point widths (integer bits per layer from profiling).
    :param tb_images: images written to ``tb_data`` for co-simulation."""

    snr_db: tuple[float, ...] = (10.0,)
    fps: float = 30.0
    clock_mhz: float = 200.0
    target_size: int = 256
    weight_bits: int = 12
    act_bits: int = 16
    calib_images: int = 64
    tb_images: int = 4
    seed: int = 0


def power_normalize(z: torch.Tensor) -> torch.Tensor:
    """[B,r,h,w] latent -> same, scaled so the B rows have unit mean complex power (first half of the
    channels in-phase, second quadrature: mean |s|^2 = 2 * mean z^2)."""
    power = 2 * z.square().flatten(1).mean(dim=1)
    return z * torch.rsqrt(power + 1e-12).view(-1, 1, 1, 1)


def channels_last(y: torch.Tensor) -> np.ndarray:
    """[N,C,H,W] -> [N,H,W,C]: the order hls4ml streams a result out (its expected tb_data outputs)."""
    return y.detach().permute(0, 2, 3, 1).contiguous().numpy()


def residual_inputs(net) -> list:
    """Module paths of the residual blocks (the first conv's line buffer sizes the skip FIFO)."""
    return [name for name, mod in net.named_modules() if isinstance(mod, FoldedResBlock)]


def half_estimate(net, in_ch: int, side: int, cfg: FPGAConfig) -> tuple[dict, dict]:
    """(reuse factors by hls4ml layer name, estimate) for one folded half on ``side`` x ``side`` inputs."""
    shapes = est.conv_shapes(net, in_ch, side, side)
    budget = cfg.clock_mhz * 1e6 / cfg.fps
    reuse = {hls.hls_name(s.name): est.choose_reuse(s, budget) for s in shapes}
    shapes = [est.ConvShape(hls.hls_name(s.name), s.c_in, s.c_out, s.kernel, s.h_out, s.w_out, s.w_in)
              for s in shapes]
    blocks = residual_inputs(net)
    skips = [s for s in shapes if any(s.name == hls.hls_name(b) + "_a_conv" for b in blocks)]
    totals = est.estimate(shapes, reuse, cfg.weight_bits, cfg.act_bits, cfg.clock_mhz, skips)
    totals.update(est.fits(totals))
    return reuse, totals


def export_cnn(model: CNNJSCC, out_dir: str | Path, images: np.ndarray, cfg: FPGAConfig = FPGAConfig(),
               calibration: np.ndarray | None = None, progress=None) -> dict:
    """Write the projects and ``report.json`` into ``out_dir``; returns the report.

    :param images: uint8 [N,H,W,3] test images (H, W multiples of 4) for the C simulation.
    :param calibration: uint8 [M,H,W,3] images for precision profiling (default: ``images``).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    x = to_tensor(images)
    calib_x = to_tensor(calibration if calibration is not None else images)[:cfg.calib_images]
    import hls4ml

    r, side = model.reals_per_block, cfg.target_size
    report = {"model": model.config(), "hls4ml": hls4ml.__version__, "images": int(x.shape[0]), "image_size": list(x.shape[2:]),
              "part": hls.PART, "clock_mhz": cfg.clock_mhz, "target_fps": cfg.fps, "target_size": [side, side],
              "weight_bits": cfg.weight_bits, "act_bits": cfg.act_bits, "rounding": "AP_RND_CONV",
              "overflow": "AP_SAT", "snr_folded": "FiLM folded into the conv weights at each SNR",
              "psnr_float_db": {}, "psnr_fixed_db": {}, "budget": est.XCZU5EG, "reference": est.REFERENCE}
    for snr in cfg.snr_db:
        enc, dec = fold_cnn(model, snr)
        key = f"{snr:g}"
        with torch.no_grad():
            z_calib = power_normalize(enc(calib_x))
            z_float = power_normalize(enc(x))
        gen = torch.Generator().manual_seed(cfg.seed)
        noise = torch.randn(z_float.shape, generator=gen) * (10 ** (-snr / 10) / 2) ** 0.5  # per real dimension
        noise_calib = torch.randn(z_calib.shape, generator=gen) * (10 ** (-snr / 10) / 2) ** 0.5
        with torch.no_grad():
            x_float = dec(z_float + noise)
        halves = {}
        for half, net, in_ch, side_in, calib in (("encoder", enc, 3, side, calib_x),
                                                 ("decoder", dec, r, side // 4, z_calib + noise_calib)):
            reuse, totals = half_estimate(net, in_ch, side_in, cfg)
            hcfg = hls.hls_config(net, calib, reuse, cfg.weight_bits, cfg.act_bits)
            # the project for the target size (for vitis_hls), written, not compiled
            target = hls.convert(net, hcfg, (in_ch, side_in, side_in), out / f"snr{key}" / f"{half}_{side}x{side}",
                                 f"jscc_{half}", cfg.clock_mhz)
            target.write()
            halves[half] = {"net": net, "cfg": hcfg, "estimate": totals, "target": target}
        t0 = time.perf_counter()
        tb = cfg.tb_images
        enc_dir = out / f"snr{key}" / "csim_encoder"
        enc_sim = hls.convert(enc, halves["encoder"]["cfg"], tuple(x.shape[1:]), enc_dir, "jscc_encoder",
                              cfg.clock_mhz, tb=(x[:tb].numpy(), channels_last(enc(x[:tb]))))
        enc_sim.compile()
        z_fixed = torch.from_numpy(hls.predict(enc_sim, x.numpy(), tuple(z_float.shape[1:])))
        z_fixed = power_normalize(z_fixed.float())
        y_fixed = (z_fixed + noise).numpy()
        dec_dir = out / f"snr{key}" / "csim_decoder"
        dec_sim = hls.convert(dec, halves["decoder"]["cfg"], tuple(z_float.shape[1:]), dec_dir, "jscc_decoder",
                              cfg.clock_mhz, tb=(y_fixed[:tb], channels_last(dec(torch.from_numpy(y_fixed[:tb])))))
        dec_sim.compile()
        x_fixed = torch.from_numpy(hls.predict(dec_sim, y_fixed, tuple(x.shape[1:]))).float()
        report["psnr_float_db"][key] = round(float(psnr(x_float, x).mean()), 4)
        report["psnr_fixed_db"][key] = round(float(psnr(x_fixed.clamp(0, 1), x).mean()), 4)
        report["csim_seconds"] = round(time.perf_counter() - t0, 1)
        report.setdefault("estimate", {h: v["estimate"] for h, v in halves.items()})
        report.setdefault("precision", {h: {n: c.get("Precision") for n, c in v["cfg"]["LayerName"].items()}
                                        for h, v in halves.items()})
        report["synthesis"] = hls.synthesize_if_available([halves[h]["target"] for h in ("encoder", "decoder")])
        if progress:
            progress(f"SNR {key} dB: PSNR float {report['psnr_float_db'][key]:.3f} dB, "
                     f"fixed {report['psnr_fixed_db'][key]:.3f} dB")
    e = report["estimate"]
    report["dsp"] = {h: e[h]["dsp"] for h in e}
    report["bram36"] = {h: e[h]["bram36"] for h in e}
    report["fps"] = {h: round(e[h]["fps"], 2) for h in e}
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    return report

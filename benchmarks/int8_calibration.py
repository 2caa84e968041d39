"""PSNR cost of the int8 JSCC decoder per calibration choice (no timing: deterministic numbers).

    python benchmarks/int8_calibration.py --data ../shared/data/cifar10.npz --out benchmarks/results/int8_calibration

For each model and each variant (activation-range method x which convolutions stay in float),
the decoder is quantised with :func:`semcom.onnx_export.quantize_int8`, calibrated on the first
256 CIFAR-10 training images sent through AWGN over the model's SNR range, and run on the first
``--images`` test images through AWGN at ``--snr`` (seeded): the table gives PSNR(int8) - PSNR(torch).
"""

from __future__ import annotations

import argparse

import numpy as np
import onnxruntime as ort
import torch

from common import preamble, write_results

from semcom import onnx_export as ox
from semcom.data import load_images, to_tensor
from semcom.metrics import psnr
from semcom.runtime import calibration_images
from semcom.zoo import load_model

VARIANTS = {  # name -> (method, convolutions kept in float, by position)
    "minmax, first+last float": ("minmax", (0, -1)),
    "percentile, first+last float": ("percentile", (0, -1)),
    "entropy, first+last float": ("entropy", (0, -1)),
    "percentile, first two+last float (shipped)": ("percentile", ox.FLOAT_CONVS),
    "percentile, first two+last two float": ("percentile", (0, 1, -2, -1)),
}


def decoder_psnr_change(model, calib: np.ndarray, test: np.ndarray, snr_db: float) -> dict:
    """PSNR(int8 decoder) - PSNR(torch decoder) in dB per variant, same received symbols."""
    x = to_tensor(test)
    snr = torch.full((x.shape[0],), snr_db)
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        s = model.encode(x, snr)
        noise = torch.complex(torch.randn(s.shape, generator=gen), torch.randn(s.shape, generator=gen))
        y = s + noise * (10 ** (-snr_db / 10) / 2) ** 0.5
        ref = float(psnr(model.decode(y, snr, x.shape[2:]), x).mean())
    pairs = torch.stack([y.real, y.imag], dim=-1).numpy().astype(np.float32)
    fp32 = ox.graph_bytes(model, "decoder", tuple(x.shape[2:]))
    feeds = ox.calibration_inputs(model, calib, "decoder")
    out = {"psnr_torch_db": round(ref, 3)}
    for name, (method, float_convs) in VARIANTS.items():
        graph = ox.quantize_int8(fp32, feeds, method=method, float_convs=float_convs)
        sess = ort.InferenceSession(graph, providers=["CPUExecutionProvider"])
        y8 = sess.run(None, {"symbols": pairs, "snr_db": snr.numpy()})[0]
        out[name] = round(float(psnr(torch.from_numpy(y8), x).mean()) - ref, 3)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", default="cnn,vit")
    p.add_argument("--data", required=True, help="cifar10.npz")
    p.add_argument("--images", type=int, default=300)
    p.add_argument("--snr", type=float, default=10.0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", default="benchmarks/results/int8_calibration")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    calib = calibration_images(args.data)
    test = load_images(args.data, "test").subset(args.images).images
    rows = []
    for name in args.models.split(","):
        rows.append({"model": name, **decoder_psnr_change(load_model(name).eval(), calib, test, args.snr)})
    names = list(VARIANTS)
    lines = preamble("benchmarks/int8_calibration.py", argv, args.models.split(",")) + [
        f"int8 decoder minus torch decoder, PSNR in dB, {args.images} CIFAR-10 test images, AWGN {args.snr:g} dB:", "",
        "| model | torch PSNR (dB) | " + " | ".join(names) + " |",
        "| --- | --- | " + " | ".join("---" for _ in names) + " |"]
    lines += [f"| {r['model']} | {r['psnr_torch_db']:.3f} | " + " | ".join(f"{r[n]:+.3f}" for n in names) + " |"
              for r in rows]
    write_results(args.out, rows, lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

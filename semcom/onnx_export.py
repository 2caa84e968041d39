"""ONNX export of a JSCC model: encoder and decoder as two graphs, fp32 and static int8.

The graphs work on one padded image size (``model.padded_size``) with a dynamic
batch, and keep everything outside the network body (padding, cropping, uint8
conversion) outside:

``encoder: image [B,3,H,W] float in [0,1], snr_db [B] -> symbols [B,k,2]`` (unit power, real pairs)
``decoder: symbols [B,k,2], snr_db [B] -> image [B,3,H,W] in [0,1]``

``symbols[..., 0]`` is the in-phase part, ``symbols[..., 1]`` the quadrature part.
The SNR is a graph input, so one file serves every SNR.

The int8 variant is static QDQ (onnxruntime.quantization.quantize_static):
unsigned 8-bit activations and signed 8-bit weights (U8S8), weights per output
channel, activation ranges calibrated on images sent through an AWGN channel at
SNRs spread over the model's training range, so the decoder sees received,
noisy symbols. Convolutions and matrix products are quantised except the first
two and the last convolution (the latent and image edges, where 8 bits cost the
most). Measured on the decoders at 10 dB (300 CIFAR-10 test images, change in
PSNR against torch): per-tensor weights -0.3 dB (cnn); per channel, MinMax,
first and last conv in float -0.113 (cnn) / -0.127 (vit); the same with the 99.999th
percentile as range -0.100 / -0.122; percentile and also the second conv in float
(this choice) -0.096 / -0.056. Keeping the decoder's full-resolution second-to-last
conv in float as well gains 0.012 dB more on the cnn for 40 % of its MACs: not taken.
The first matrix product (a ViT decoder's embedding of the latent, the latent edge again)
stays in float too: quantising it cost the vit decoder 0.26 dB (onnxruntime 1.32:
-0.33 dB against torch instead of -0.07 dB, 200 CIFAR-10 test images at 10 dB, the PSNR check
of ``benchmarks/bench_receiver.py --runtime onnx-int8``); the cnn decoders have none.
"""

from __future__ import annotations

import contextlib
import io
import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .models.base import JSCCModel

OPSET = 17
HALVES = ("encoder", "decoder")


class EncoderGraph(nn.Module):
    """:input image: [B,3,H,W] (H, W the padded size); snr_db [B]. :output: [B,k,2] real pairs, E|s|^2 = 1."""

    def __init__(self, model: JSCCModel):
        super().__init__()
        self.model = model

    def forward(self, image: torch.Tensor, snr_db: torch.Tensor) -> torch.Tensor:
        z = self.model.encode_latent(image, snr_db)  # [B, 2k]: first half in-phase, second quadrature
        k = z.shape[1] // 2
        power = z.square().sum(dim=1, keepdim=True) / k  # mean |s|^2 over the k complex symbols
        z = z * torch.rsqrt(power + 1e-12)
        return torch.stack([z[:, :k], z[:, k:]], dim=-1)


class DecoderGraph(nn.Module):
    """:input symbols: [B,k,2] real pairs; snr_db [B]. :output: [B,3,H,W] in [0,1] (padded size)."""

    def __init__(self, model: JSCCModel, padded: tuple[int, int]):
        super().__init__()
        self.model, self.padded = model, padded

    def forward(self, symbols: torch.Tensor, snr_db: torch.Tensor) -> torch.Tensor:
        z = torch.cat([symbols[..., 0], symbols[..., 1]], dim=1)  # [B, 2k]
        return self.model.decode_latent(z, snr_db, self.padded)


def graph_bytes(model: JSCCModel, half: str, image_size: tuple[int, int]) -> bytes:
    """The fp32 ONNX graph of one half (``encoder`` or ``decoder``) for ``image_size``, serialised."""
    if half not in HALVES:
        raise ValueError(f"half must be one of {HALVES}, got {half!r}")
    hp, wp = model.padded_size(*image_size)
    k = model.num_symbols(hp, wp)
    model = model.eval()
    if half == "encoder":
        graph, args, names = EncoderGraph(model), (torch.rand(2, 3, hp, wp), torch.full((2,), 10.0)), \
            ["image", "snr_db"]
        outputs = ["symbols"]
    else:
        graph, args, names = DecoderGraph(model, (hp, wp)), (torch.randn(2, k, 2), torch.full((2,), 10.0)), \
            ["symbols", "snr_db"]
        outputs = ["image"]
    buf = io.BytesIO()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer and exporter notices about shapes fixed at export
        torch.onnx.export(graph, args, buf, dynamo=False, opset_version=OPSET, input_names=names,
                          output_names=outputs, dynamic_axes={n: {0: "batch"} for n in names + outputs})
    return buf.getvalue()


def calibration_inputs(model: JSCCModel, images: np.ndarray, half: str, snrs_db=None,
                       seed: int = 0) -> list[dict[str, np.ndarray]]:
    """Feeds for int8 calibration: uint8 [N,H,W,3] ``images`` (H, W the padded size), one feed per image.

    Encoder feeds are the images at an SNR drawn from the training range; decoder feeds are their
    symbols after an AWGN channel at that SNR (what the receiver hands the decoder).
    """
    from .data import to_tensor

    lo, hi = model.snr_range_db
    gen = torch.Generator().manual_seed(seed)
    x = to_tensor(images)
    snr = torch.as_tensor(snrs_db, dtype=torch.float32) if snrs_db is not None else \
        lo + (hi - lo) * torch.rand(x.shape[0], generator=gen)
    if half == "encoder":
        return [{"image": x[i:i + 1].numpy(), "snr_db": snr[i:i + 1].numpy()} for i in range(x.shape[0])]
    with torch.no_grad():
        s = model.encode(x, snr)
    n0 = 10 ** (-snr / 10)
    noise = torch.complex(torch.randn(s.shape, generator=gen), torch.randn(s.shape, generator=gen))
    y = s + noise * (n0 / 2).sqrt().unsqueeze(1)
    pairs = torch.stack([y.real, y.imag], dim=-1).float()
    return [{"symbols": pairs[i:i + 1].numpy(), "snr_db": snr[i:i + 1].numpy()} for i in range(x.shape[0])]


FLOAT_CONVS = (0, 1, -1)  # the convolutions int8 leaves in float, by position in the graph
FLOAT_MATMULS = (0,)  # the matrix products (MatMul) int8 leaves in float, by position, where there are any


def quantize_int8(fp32: bytes, feeds: list[dict[str, np.ndarray]], method: str = "percentile",
                  float_convs: tuple[int, ...] = FLOAT_CONVS, float_matmuls: tuple[int, ...] = FLOAT_MATMULS) -> bytes:
    """Static QDQ int8 (U8S8, weights per channel) of a serialised fp32 graph, activation ranges
    calibrated on ``feeds`` by ``method`` (``minmax``, ``percentile`` or ``entropy``); the
    convolutions at positions ``float_convs`` and the MatMuls at ``float_matmuls`` stay in float."""
    import tempfile

    import onnx
    from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                          quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter(feeds)

        def get_next(self):
            return next(self.it, None)

    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(io.StringIO()):  # ORT prints ranges
        src, pre, dst = Path(tmp, "fp32.onnx"), Path(tmp, "pre.onnx"), Path(tmp, "int8.onnx")
        src.write_bytes(fp32)
        quant_pre_process(str(src), str(pre), skip_symbolic_shape=True)
        nodes = onnx.load(str(pre)).graph.node
        convs = [n.name for n in nodes if n.op_type == "Conv"]
        matmuls = [n.name for n in nodes if n.op_type == "MatMul"]
        quantize_static(str(pre), str(dst), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        calibrate_method={"minmax": CalibrationMethod.MinMax, "entropy": CalibrationMethod.Entropy,
                                          "percentile": CalibrationMethod.Percentile}[method],
                        op_types_to_quantize=["Conv", "MatMul", "Gemm"],
                        nodes_to_exclude=sorted({convs[i] for i in float_convs} |
                                                {matmuls[i] for i in float_matmuls if matmuls}))
        return onnx.load(str(dst)).SerializeToString()


@dataclass
class ExportedGraphs:
    """One model's ONNX files for one image size: ``files[(half, precision)] -> path``."""

    image_size: tuple[int, int]
    files: dict


def export_onnx(model: JSCCModel, out_dir: str | Path, name: str, image_size=(32, 32), int8: bool = True,
                calibration: np.ndarray | None = None) -> dict:
    """Write ``{name}.{encoder,decoder}.onnx`` (and ``.int8.onnx``) and ``{name}.onnx.json`` into ``out_dir``.

    :param calibration: uint8 [N,H,W,3] training images of ``image_size`` (needed with ``int8``).
    :returns: the manifest written to ``{name}.onnx.json``.
    """
    if int8 and (calibration is None or len(calibration) == 0):
        raise ValueError("int8 export needs calibration images (CIFAR-10 training images: --data)")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    hp, wp = model.padded_size(*image_size)
    manifest = {"arch": model.arch, "config": model.config(), "image_size": [hp, wp],
                "num_symbols": model.num_symbols(hp, wp), "opset": OPSET, "files": {}}
    for half in HALVES:
        fp32 = graph_bytes(model, half, (hp, wp))
        path = out / f"{name}.{half}.onnx"
        path.write_bytes(fp32)
        manifest["files"][f"{half}"] = path.name
        if int8:
            q = quantize_int8(fp32, calibration_inputs(model, calibration, half))
            path = out / f"{name}.{half}.int8.onnx"
            path.write_bytes(q)
            manifest["files"][f"{half}-int8"] = path.name
    if int8:
        manifest["calibration"] = {"images": int(len(calibration)), "method": "percentile 99.999, QDQ U8S8, weights per channel, first two and last Conv "
                                             "and first MatMul in float",
                                   "snr_db": "uniform over the training range, AWGN"}
    (out / f"{name}.onnx.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def check_psnr(model: JSCCModel, out_dir: str | Path, name: str, images: np.ndarray, snr_db: float = 10.0,
               seed: int = 0) -> dict:
    """PSNR (dB, mean over ``images``) of the model through AWGN at ``snr_db``, run by torch and by the
    exported graphs: both halves fp32, both int8, and the receiver's case (torch encoder, int8 decoder)."""
    import onnxruntime as ort

    from .data import to_tensor
    from .metrics import psnr

    manifest = json.loads((Path(out_dir) / f"{name}.onnx.json").read_text())
    sessions = {key: ort.InferenceSession(str(Path(out_dir) / f), providers=["CPUExecutionProvider"])
                for key, f in manifest["files"].items()}
    x = to_tensor(images)
    snr = torch.full((x.shape[0],), float(snr_db))
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        s = model.encode(x, snr)
    noise = torch.complex(torch.randn(s.shape, generator=gen), torch.randn(s.shape, generator=gen))
    noise = noise * (10 ** (-snr_db / 10) / 2) ** 0.5

    def received(pairs: np.ndarray) -> np.ndarray:
        return pairs + torch.stack([noise.real, noise.imag], dim=-1).numpy()

    def decode(key: str, pairs: np.ndarray) -> float:
        out = sessions[key].run(None, {"symbols": pairs.astype(np.float32), "snr_db": snr.numpy()})[0]
        return round(float(psnr(torch.from_numpy(out), x).mean()), 4)

    def encode(key: str) -> np.ndarray:
        return sessions[key].run(None, {"image": x.numpy(), "snr_db": snr.numpy()})[0]

    with torch.no_grad():
        ref = round(float(psnr(model.decode(s + noise, snr, x.shape[2:]), x).mean()), 4)
    torch_pairs = torch.stack([s.real, s.imag], dim=-1).numpy()
    result = {"snr_db": float(snr_db), "images": int(x.shape[0]), "psnr_torch_db": ref,
              "psnr_onnx_db": decode("decoder", received(encode("encoder")))}
    if "decoder-int8" in sessions:
        result["psnr_int8_decoder_db"] = decode("decoder-int8", received(torch_pairs))
        result["psnr_int8_db"] = decode("decoder-int8", received(encode("encoder-int8")))
    return result


def parse_size(text: str) -> tuple[int, int]:
    try:
        h, w = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"--image-size must look like 32x32, got {text!r}") from None
    if h < 1 or w < 1:
        raise ValueError(f"--image-size must be positive, got {text!r}")
    return h, w


def cmd_export_onnx(args) -> int:
    """``semcom export --onnx --model NAME --out DIR``: graphs, manifest and the PSNR check against torch."""
    from .data import load_images
    from .runtime import calibration_images
    from .zoo import load_model

    if not args.model:
        raise ValueError("export --onnx needs --model (a zoo name or a checkpoint)")
    model = load_model(args.model)
    name = Path(args.model).stem if args.model.endswith(".pt") else args.model
    size = parse_size(args.image_size)
    out = args.out or "onnx"
    calib = None if args.no_int8 else calibration_images(args.data)
    manifest = export_onnx(model, out, name, image_size=size, int8=not args.no_int8, calibration=calib)
    if tuple(manifest["image_size"]) == (32, 32):
        from .data import sample_images_dir

        test = load_images(args.data, "test").subset(200) if args.data else load_images(sample_images_dir())
        manifest["check"] = check_psnr(model, out, name, test.images)
        (Path(out) / f"{name}.onnx.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(json.dumps(manifest))
    return 0

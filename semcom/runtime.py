"""Inference runtimes for a JSCC model: torch, ONNX Runtime fp32, ONNX Runtime static int8.

A :class:`Codec` has the model's two halves with the model's signatures
(``encode(x, snr_db) -> s [B,k] complex``, ``decode(s_hat, snr_db, (H, W)) -> x_hat``),
so the receiver, ``semcom eval`` and the benchmarks take one and do not care
which engine runs it. The ONNX codecs export each (half, padded image size)
graph on first use, in memory (see :mod:`semcom.onnx_export`); the int8 one
calibrates it then on the images it was given.
"""

from __future__ import annotations

import warnings
from typing import Protocol

import numpy as np
import torch
from torch.nn import functional as F

from .models.base import JSCCModel, as_snr_tensor, check_images

RUNTIMES = ("torch", "onnx", "onnx-int8")
CALIBRATION_IMAGES = 256  # CIFAR-10 training images for int8 calibration


class Codec(Protocol):
    """The two halves of a JSCC model, whatever runs them."""

    model: JSCCModel

    def encode(self, x: torch.Tensor, snr_db) -> torch.Tensor:
        """:input x: [B,3,H,W] in [0,1]. :output: [B,k] complex64, E|s|^2 = 1."""

    def decode(self, s_hat: torch.Tensor, snr_db, image_size: tuple[int, int]) -> torch.Tensor:
        """:input s_hat: [B,k] complex. :output: [B,3,H,W] in [0,1]."""


class TorchCodec:
    """The model itself (eval mode, no autograd)."""

    def __init__(self, model: JSCCModel):
        self.model = model.eval()

    @torch.no_grad()
    def encode(self, x, snr_db):
        return self.model.encode(x, snr_db)

    @torch.no_grad()
    def decode(self, s_hat, snr_db, image_size):
        return self.model.decode(s_hat, snr_db, image_size)


class OnnxCodec:
    """ONNX Runtime sessions per (half, padded size), built on first use.

    :param int8: quantise each graph (static QDQ U8S8) on ``calibration``
        (uint8 [N,h,w,3] images at least as large as the padded sizes used).
    :param threads: ONNX Runtime intra-op threads (default: torch's thread count).
    """

    def __init__(self, model: JSCCModel, int8: bool = False, calibration: np.ndarray | None = None,
                 threads: int | None = None):
        if int8 and (calibration is None or len(calibration) == 0):
            raise ValueError("runtime onnx-int8 needs calibration images (CIFAR-10 training images: --data)")
        self.model, self.int8, self.calibration = model.eval(), int8, calibration
        self.threads = threads or torch.get_num_threads()
        self._sessions: dict = {}

    def session(self, half: str, padded: tuple[int, int]):
        key = (half, padded)
        if key not in self._sessions:
            import onnxruntime as ort

            from .onnx_export import calibration_inputs, graph_bytes, quantize_int8

            graph = graph_bytes(self.model, half, padded)
            if self.int8:
                graph = quantize_int8(graph, calibration_inputs(self.model, self._crops(padded), half))
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = self.threads
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL  # the default, stated
            opts.inter_op_num_threads = 1
            # no busy-waiting between calls: the spinning pool would take the cores from torch's front end
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
            self._sessions[key] = ort.InferenceSession(graph, opts, providers=["CPUExecutionProvider"])
        return self._sessions[key]

    def _crops(self, padded: tuple[int, int]) -> np.ndarray:
        h, w = padded
        images = self.calibration
        if images.shape[1] < h or images.shape[2] < w:
            raise ValueError(f"int8 calibration images are {images.shape[1]}x{images.shape[2]}, smaller than the "
                             f"{h}x{w} frames to decode: give larger calibration images")
        return np.ascontiguousarray(images[:, :h, :w])

    def encode(self, x, snr_db):
        check_images(x)
        snr = as_snr_tensor(snr_db, x.shape[0], "cpu")
        hp, wp = self.model.padded_size(x.shape[2], x.shape[3])
        if (hp, wp) != tuple(x.shape[2:]):
            x = F.pad(x, (0, wp - x.shape[3], 0, hp - x.shape[2]), mode="replicate")
        pairs = self.session("encoder", (hp, wp)).run(None, {"image": x.float().numpy(), "snr_db": snr.numpy()})[0]
        return torch.complex(torch.from_numpy(pairs[..., 0]), torch.from_numpy(pairs[..., 1]))

    def decode(self, s_hat, snr_db, image_size):
        height, width = int(image_size[0]), int(image_size[1])
        expected = self.model.num_symbols(height, width)
        if not s_hat.is_complex() or s_hat.dim() != 2 or s_hat.shape[1] != expected:
            raise ValueError(f"decode expects complex [batch, {expected}] symbols for a {height}x{width} image, "
                             f"got {tuple(s_hat.shape)} {s_hat.dtype}")
        snr = as_snr_tensor(snr_db, s_hat.shape[0], "cpu")
        pairs = torch.stack([s_hat.real, s_hat.imag], dim=-1).float().numpy()
        padded = self.model.padded_size(height, width)
        x_hat = self.session("decoder", padded).run(None, {"symbols": pairs, "snr_db": snr.numpy()})[0]
        return torch.from_numpy(x_hat[:, :, :height, :width])


def calibration_images(data=None, count: int = CALIBRATION_IMAGES) -> np.ndarray:
    """uint8 [N,H,W,3]: the first ``count`` training images of ``data`` (or ``$SEMCOM_DATA``); without
    either, the bundled sample images (CIFAR-10 *test* images), with a warning."""
    import os

    from .data import DATA_ENV, load_images, sample_images_dir

    if data is None and not os.environ.get(DATA_ENV):
        warnings.warn("no --data or $SEMCOM_DATA: calibrating int8 on the bundled sample images", stacklevel=2)
        return load_images(sample_images_dir()).images
    images = load_images(data, "train").subset(count)
    if not images.uniform:
        raise ValueError("int8 calibration needs images of one size (CIFAR-10: --data cifar10.npz)")
    return images.images


def make_codec(model: JSCCModel, runtime: str = "torch", data=None, threads: int | None = None) -> Codec:
    """The codec for ``runtime`` (one of :data:`RUNTIMES`); ``data`` gives int8 calibration images."""
    if runtime not in RUNTIMES:
        raise ValueError(f"runtime must be one of {', '.join(RUNTIMES)}, got {runtime!r}")
    if runtime == "torch":
        return TorchCodec(model)
    try:
        import onnxruntime  # noqa: F401
    except ImportError as exc:
        raise ValueError(f"runtime {runtime} needs onnxruntime: pip install 'semcom-sdr[onnx]'") from exc
    int8 = runtime == "onnx-int8"
    return OnnxCodec(model, int8=int8, calibration=calibration_images(data) if int8 else None, threads=threads)

"""What the semcom GNU Radio blocks share, free of GNU Radio itself (so that it is testable anywhere):
image lists, the model runtime, frame levels, PDU payloads and the per-frame result dicts.

Levels. :meth:`semcom.ota.Transceiver.jscc_frame` scales every frame so that its peak is
``PEAK_AMPLITUDE`` (0.7) of a radio's full scale, so the power per resource element (RE) differs
from frame to frame. A source block with ``level="unit-re"`` rescales each frame so that every used
RE carries unit energy (Es = 1, the link's convention: see ``semcom/link.py``). Then GNU Radio's
``channels.channel_model`` with ``noise_voltage = 10 ** (-snr_db / 20)`` adds complex noise of
variance ``noise_voltage ** 2`` per sample, which the orthonormal DFT keeps per RE, so
``Es/N0 per RE = snr_db``: the SNR of ``semcom eval --snr``. The SNR per time sample is lower by
``10 log10(N / U)`` (2.5 dB for the 128-point FFT with 72 used subcarriers), because only U of the
N subcarriers carry power.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

LEVELS = ("peak", "unit-re")  # frame scaling: as semcom ota sends it (peak 0.7) or unit energy per RE
RUNTIMES = ("torch", "onnx", "onnx-int8")  # semcom.runtime.RUNTIMES


@dataclass(frozen=True)
class NamedImage:
    """One image to send: ``pixels`` uint8 [H, W, 3] and its ``name`` (file name or 'pdu')."""

    name: str
    pixels: np.ndarray


def image_list(path: str) -> list[NamedImage]:
    """The images of a file or folder (``''``: the bundled samples), in file-name order."""
    from ..data import load_images, sample_images_dir

    images = load_images(path if path else sample_images_dir())
    return [NamedImage(str(name), np.asarray(pixels, np.uint8)) for name, pixels in zip(images.names, images.images)]


def check_choice(name: str, value: str, choices) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def load_jscc_model(model: str, runtime: str = "torch"):
    """(model, codec) for a block: a zoo name or checkpoint path, and what runs it
    (:func:`semcom.runtime.make_codec`; the ONNX runtimes need onnxruntime in GNU Radio's Python,
    ``onnx-int8`` also CIFAR-10 for calibration via ``$SEMCOM_DATA``)."""
    from ..runtime import make_codec
    from ..zoo import load_model

    check_choice("runtime", runtime, RUNTIMES)
    jscc = load_model(model)
    return jscc, make_codec(jscc, runtime)


def re_amplitude(trx, frame: np.ndarray) -> float:
    """Amplitude per resource element of a frame built by ``trx`` (a :class:`semcom.ota.Transceiver`):
    the preamble is sent at the mean power of unit-energy REs, so its measured power gives the scale.

    :input frame: [tx, n] complex64, as ``jscc_frame``/``digital_frame`` return it.
    """
    reference = trx.preamble.samples.numpy()
    sent = frame[0, :len(reference)]
    return math.sqrt(float(np.mean(np.abs(sent) ** 2)) / float(np.mean(np.abs(reference) ** 2)))


def leveled(trx, frame: np.ndarray, level: str) -> tuple[np.ndarray, float]:
    """The frame's first antenna as complex64 [n] at ``level``, and its amplitude per RE."""
    scale = re_amplitude(trx, frame)
    if level == "unit-re":
        return (frame[0] / scale).astype(np.complex64), 1.0
    return frame[0].astype(np.complex64), scale


def noise_voltage(snr_db: float) -> float:
    """``channels.channel_model``'s noise_voltage for Es/N0 = ``snr_db`` per RE on unit-RE frames."""
    return 10.0 ** (-float(snr_db) / 20.0)


def image_from_pdu(meta: dict, data: np.ndarray) -> np.ndarray:
    """A uint8 [H, W, 3] image from a PDU: ``meta`` has ``height`` and ``width``, ``data`` the bytes."""
    height, width = int(meta.get("height", 0)), int(meta.get("width", 0))
    data = np.asarray(data, np.uint8)
    if height <= 0 or width <= 0 or data.size != height * width * 3:
        raise ValueError(f"image PDU needs height*width*3 bytes, got {data.size} for {height}x{width}")
    return data.reshape(height, width, 3)


def frame_result(rec, reference: NamedImage | None) -> dict:
    """A JSON-ready dict for one received frame (``rec``: a :class:`semcom.ota.Reception` with an image)."""
    from ..data import to_tensor
    from ..metrics import psnr, ssim

    result = {"seq": rec.header.seq, "cfo_hz": round(float(rec.cfo_hz), 1),
              "snr_est_db": round(float(rec.snr_est_db), 2), "height": rec.header.height, "width": rec.header.width}
    if rec.error:
        result["error"] = rec.error  # e.g. a digital frame that failed its CRC (fallback image)
    if reference is not None and rec.image.shape == reference.pixels.shape:
        x_hat, x = to_tensor(rec.image), to_tensor(reference.pixels)
        result["image"] = reference.name
        result["psnr_db"] = round(float(psnr(x_hat, x).clamp_max(100)), 3)
        result["ssim"] = round(float(ssim(x_hat, x)), 4)
    return result


def write_report(results: list[dict], target: str, **extra) -> None:
    """One JSON line ``{"frames": [...], **extra}`` to stdout (``target='-'``) or to a file."""
    line = json.dumps({"frames": results, **extra})
    if target == "-":
        print(line, flush=True)
    elif target:
        Path(target).write_text(line + "\n")


def save_image(pixels: np.ndarray, folder: str, stem: str) -> None:
    from PIL import Image

    Path(folder).mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(Path(folder) / f"{stem}.png")

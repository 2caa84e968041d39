"""ONNX export and the inference runtimes (torch, onnx, onnx-int8)."""

import json

import numpy as np
import pytest
import torch

from semcom.commands import RUNTIMES as CLI_RUNTIMES
from semcom.cli import main
from semcom.data import load_images, sample_images_dir, to_tensor
from semcom.metrics import psnr
from semcom.models.cnn import CNNJSCC
from semcom.models.vit import ViTJSCC
from semcom.ota import Transceiver, ofdm_for_radio
from semcom.runtime import RUNTIMES, make_codec

pytest.importorskip("onnxruntime")

IMAGES = load_images(sample_images_dir()).images


def small_models():
    return {"cnn": CNNJSCC(channels=16, num_res=1).eval(), "vit": ViTJSCC(dim=32, depth=1, heads=2, stem_ch=8).eval()}


def test_cli_and_runtime_agree_on_the_runtime_names():
    assert CLI_RUNTIMES == RUNTIMES


@pytest.mark.parametrize("arch", ["cnn", "vit"])
@pytest.mark.parametrize("size", [(32, 32), (30, 40)])
def test_onnx_codec_matches_torch(arch, size):
    model = small_models()[arch]
    onnx, ref = make_codec(model, "onnx"), make_codec(model, "torch")
    x = torch.rand(3, 3, *size)
    snr = torch.tensor([0.0, 7.0, 20.0])
    s_ref, s = ref.encode(x, snr), onnx.encode(x, snr)
    assert s.dtype == torch.complex64 and s.shape == s_ref.shape
    torch.testing.assert_close(s, s_ref, atol=1e-4, rtol=1e-4)
    y = s_ref + 0.1 * torch.randn_like(s_ref)
    torch.testing.assert_close(onnx.decode(y, snr, size), ref.decode(y, snr, size), atol=1e-4, rtol=1e-4)


def test_int8_codec_decodes_close_to_torch():
    model = small_models()["cnn"]
    codec = make_codec(model, "onnx-int8")  # no data: calibrates on the bundled samples, with a warning
    x = to_tensor(IMAGES)
    s = model.encode(x, 10.0).detach()
    ref = model.decode(s, 10.0, (32, 32)).detach()
    out = codec.decode(s, 10.0, (32, 32))
    assert out.shape == ref.shape
    assert float((out - ref).abs().mean()) < 0.02  # an untrained model: only a sanity bound


def test_codec_rejects_wrong_symbols_and_runtime():
    model = small_models()["cnn"]
    with pytest.raises(ValueError, match="runtime must be one of"):
        make_codec(model, "tensorrt")
    with pytest.raises(ValueError, match="decode expects complex"):
        make_codec(model, "onnx").decode(torch.zeros(1, 10, dtype=torch.complex64), 10.0, (32, 32))


def test_receiver_with_onnx_runtime_decodes_like_torch():
    model = small_models()["cnn"]
    ofdm = ofdm_for_radio(1, 1, 1.92e6)
    torch_rx = Transceiver(model, "cnn", ofdm)
    onnx_rx = Transceiver(model, "cnn", ofdm, codec=make_codec(model, "onnx"))
    frame, _ = torch_rx.jscc_frame(IMAGES[0], seq=0)
    a, b = torch_rx.receive(frame), onnx_rx.receive(frame)
    assert a.image is not None and b.image is not None
    assert np.abs(a.image.astype(int) - b.image.astype(int)).max() <= 1


def test_cli_export_onnx_writes_graphs_and_checks_them(tmp_path, capsys):
    assert main(["export", "--onnx", "--model", "cnn", "--out", str(tmp_path), "--no-int8"]) == 0
    manifest = json.loads((tmp_path / "cnn.onnx.json").read_text())
    assert sorted(manifest["files"]) == ["decoder", "encoder"]
    assert abs(manifest["check"]["psnr_onnx_db"] - manifest["check"]["psnr_torch_db"]) <= 0.01


def test_cli_export_onnx_needs_a_model(capsys):
    assert main(["export", "--onnx"]) == 2
    assert "needs --model" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("name", ["cnn", "cnn-tdla", "cnn-tdla-bf", "cnn-tdla-clip", "vit", "vit-tdla", "vit-tdla-bf"])
def test_every_zoo_model_exports_to_onnx_within_0_01_db(name, tmp_path):
    from semcom.onnx_export import check_psnr, export_onnx
    from semcom.zoo import load_model

    model = load_model(name)
    export_onnx(model, tmp_path, name, int8=True, calibration=IMAGES)
    check = check_psnr(model, tmp_path, name, IMAGES)
    assert abs(check["psnr_onnx_db"] - check["psnr_torch_db"]) <= 0.01
    assert check["psnr_int8_decoder_db"] > check["psnr_torch_db"] - 1.0

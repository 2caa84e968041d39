"""The FPGA path: FiLM folding, the resource estimate, and an hls4ml export + g++ C simulation of a tiny CNN."""

import json
import math
import shutil

import pytest
import torch

from fpga import estimate as est
from fpga.fold import fold_cnn
from semcom.checkpoint import save_checkpoint
from semcom.cli import main
from semcom.models.cnn import CNNJSCC


def tiny_cnn(num_res_mid=0):
    model = CNNJSCC(channels=8, num_res=1, num_res_mid=num_res_mid).eval()
    for p in model.parameters():  # non-trivial FiLM (its last layer starts at zero)
        torch.nn.init.normal_(p, std=0.2)
    return model


@pytest.mark.parametrize("snr", [0.0, 10.0, 17.5])
def test_folded_bodies_equal_the_film_model_at_that_snr(snr):
    model = tiny_cnn(num_res_mid=1)
    enc, dec = fold_cnn(model, snr)
    x, s = torch.rand(2, 3, 16, 16), torch.full((2,), snr)
    z = torch.randn(2, model.reals_per_block, 4, 4)
    with torch.no_grad():
        torch.testing.assert_close(enc(x), model.encoder(x, s), atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(dec(z), model.decoder(z, s), atol=1e-5, rtol=1e-5)
        assert not torch.allclose(dec(z), model.decoder(z, s + 10))  # the SNR really is folded in
    assert {type(m).__name__ for m in dec.modules()} <= {"FoldedDecoder", "Sequential", "FoldedConv",
                                                        "FoldedResBlock", "Conv2d", "ReLU", "Upsample", "Sigmoid"}


def test_fold_refuses_the_vit():
    from semcom.models.vit import ViTJSCC

    with pytest.raises(ValueError, match="CNN family"):
        fold_cnn(ViTJSCC(dim=32, depth=1, heads=2, stem_ch=8), 10.0)


def test_estimate_follows_the_documented_formula():
    layer = est.ConvShape("c", c_in=128, c_out=64, kernel=3, h_out=256, w_out=256, w_in=256)
    budget = 200e6 / 30  # cycles per image at 30 fps, 200 MHz
    rf = est.choose_reuse(layer, budget)
    assert layer.pixels * rf <= budget and est.valid_reuse_factor(layer.n_in, layer.c_out, rf)
    assert not any(est.valid_reuse_factor(layer.n_in, 64, r) for r in range(rf + 1, int(budget // layer.pixels) + 1))
    tot = est.estimate([layer], {"c": rf}, weight_bits=8, act_bits=16, clock_mhz=200.0)
    assert tot["dsp"] == math.ceil(128 * 9 * 64 / rf)
    assert tot["fps"] >= 30 and tot["cycles_per_image"] == 256 * 256 * rf
    assert tot["bram36_buffers"] == math.ceil(2 * 256 * 128 * 16 / (36 * 1024))


def test_reuse_factor_never_below_one_for_impossible_rates():
    layer = est.ConvShape("c", 3, 8, 3, 64, 64, 64)
    assert est.choose_reuse(layer, cycles_per_image=10) == 1


@pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")
def test_fpga_export_c_simulates_a_tiny_cnn(tmp_path, capsys):
    pytest.importorskip("hls4ml")
    ckpt = tmp_path / "tiny.pt"
    save_checkpoint(ckpt, tiny_cnn())
    out = tmp_path / "hls"
    assert main(["fpga", "export", "--model", str(ckpt), "--out", str(out), "--images", "4", "--target-size", "32",
                 "--fps", "1000", "--weight-bits", "10"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert set(report["dsp"]) == {"encoder", "decoder"} and report["fps"]["decoder"] >= 1000
    assert abs(report["psnr_fixed_db"]["10"] - report["psnr_float_db"]["10"]) < 0.1
    for half in ("encoder", "decoder"):
        assert (out / "snr10" / f"{half}_32x32" / "firmware" / f"jscc_{half}.cpp").is_file()
        assert (out / "snr10" / f"csim_{half}" / "tb_data" / "tb_input_features.dat").is_file()
    assert "vitis_hls" in json.loads(capsys.readouterr().out)["synthesis"]


def test_fpga_export_errors_are_one_line(capsys):
    pytest.importorskip("hls4ml")
    assert main(["fpga", "export", "--model", "vit", "--out", "/nonexistent/x", "--images", "1"]) == 2
    assert "CNN family" in capsys.readouterr().err

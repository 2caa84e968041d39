"""``semcom analyze``: the measures against known answers, the hooks, and the command end to end."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
import torch

from semcom.analysis.fourier import diagonal_amplitude, high_frequency_ratio
from semcom.analysis.hooks import BlockHooks, as_spatial, default_blocks, select_blocks
from semcom.analysis.prior import compare_arms
from semcom.analysis.similarity import mean_cosine_similarity
from semcom.analysis.symbols import describe_symbols, excess_kurtosis, ks_distance, student_t_cdf
from semcom.cli import main
from semcom.models.registry import build_model


# -- cosine similarity -------------------------------------------------------------------------------
def test_identical_tokens_have_cosine_similarity_one():
    v = torch.randn(1, 1, 1, 16)
    assert torch.allclose(mean_cosine_similarity(v.expand(3, 4, 4, 16) * 2.5), torch.ones(3, dtype=torch.float64))


def test_orthogonal_tokens_have_cosine_similarity_zero():
    eye = torch.eye(9).reshape(1, 3, 3, 9)  # 9 positions, each a different basis vector
    assert mean_cosine_similarity(eye).item() == pytest.approx(0.0, abs=1e-12)


def test_cosine_similarity_excludes_the_diagonal():
    """Two opposite vectors: the only distinct pair has similarity -1 (self-similarity 1 is left out)."""
    fm = torch.tensor([[1.0, 2.0], [-1.0, -2.0]]).reshape(1, 1, 2, 2)
    assert mean_cosine_similarity(fm).item() == pytest.approx(-1.0)


# -- Fourier ------------------------------------------------------------------------------------------
def test_constant_map_is_all_low_frequency():
    diag = diagonal_amplitude(torch.full((2, 8, 8, 5), 3.0))
    assert diag.shape == (2, 5)
    assert diag[:, 0].tolist() == pytest.approx([3.0 * 64] * 2)
    assert diag[:, 1:].abs().max() < 1e-9
    assert high_frequency_ratio(diag.mean(0)) == pytest.approx(0.0, abs=1e-12)


def test_checkerboard_is_all_nyquist():
    i = torch.arange(8)
    board = ((-1.0) ** (i[:, None] + i[None, :]))[None, :, :, None]  # [1, 8, 8, 1]
    diag = diagonal_amplitude(board + 1.0)  # equal DC and Nyquist
    assert diag[0, 0].item() == pytest.approx(64.0) and diag[0, -1].item() == pytest.approx(64.0)
    assert diag[0, 1:-1].abs().max() < 1e-9
    assert high_frequency_ratio(diag[0]) == pytest.approx(1.0)


def test_fourier_needs_square_maps():
    with pytest.raises(ValueError, match="square"):
        diagonal_amplitude(torch.ones(1, 4, 8, 2))


# -- symbol statistics ---------------------------------------------------------------------------------
@pytest.mark.parametrize("nu", [3.0, 6.0])
def test_t_fit_recovers_nu(nu):
    x = torch.distributions.StudentT(nu).sample((40000,))
    stats = describe_symbols(x / x.std())
    assert stats["nu"] == pytest.approx(nu, rel=0.2)
    assert stats["ks_student_t"] < 0.01 < stats["ks_gaussian"]


def test_gaussian_samples_look_gaussian():
    x = torch.randn(40000, dtype=torch.float64)
    stats = describe_symbols(x)
    assert stats["nu"] > 30
    assert abs(stats["kurtosis"]) < 0.1
    assert stats["ks_gaussian"] < 0.01
    assert excess_kurtosis(torch.distributions.StudentT(8.0).sample((200000,))) == pytest.approx(6 / (8 - 4), rel=0.3)


def test_student_t_cdf_matches_cauchy():
    f = student_t_cdf(1.0, 2.0)  # Cauchy with scale 2: F(x) = 1/2 + atan(x / 2) / pi
    x = torch.tensor([-10.0, -2.0, 0.0, 1.0, 2.0, 30.0], dtype=torch.float64)
    expected = 0.5 + torch.atan(x / 2) / math.pi
    assert torch.allclose(f(x), expected, atol=2e-4)


def test_ks_distance_of_a_point_mass():
    assert ks_distance(torch.zeros(100), lambda x: torch.special.ndtr(x)) == pytest.approx(0.5)


# -- hooks -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("arch,config,expected", [
    ("cnn", {"channels": 8, "num_res": 2}, ["encoder.res.0", "encoder.res.1", "decoder.res.0", "decoder.res.1"]),
    ("vit", {"dim": 16, "depth": 1, "heads": 2, "stem_ch": 8}, ["encoder.blocks.0", "decoder.blocks.0"]),
])
def test_hooks_see_every_block_as_a_feature_map(arch, config, expected):
    model = build_model(arch, **config).eval()
    assert default_blocks(model) == expected
    seen = {}
    with BlockHooks(model, expected, lambda name, fm: seen.setdefault(name, fm.shape)):
        model.encode(torch.rand(2, 3, 32, 32), 10.0)
    assert list(seen) == [n for n in expected if n.startswith("encoder")]
    assert all(shape[0] == 2 and shape[1:3] == (8, 8) for shape in seen.values())
    assert not any(m._forward_hooks for m in model.modules())  # removed on exit


def test_select_blocks_by_regex_and_errors():
    model = build_model("cnn", channels=8, num_res=1)
    assert select_blocks(model, r"encoder\.down\d") == ["encoder.down1", "encoder.down2"]
    with pytest.raises(ValueError, match="no blocks"):
        select_blocks(model, "nothing")
    with pytest.raises(ValueError, match="regular expression"):
        select_blocks(model, "(")
    with pytest.raises(ValueError, match="square"):
        as_spatial(torch.zeros(1, 10, 4))


# -- prior comparison ---------------------------------------------------------------------------------
def test_compare_arms_counts_steps_to_a_common_target():
    rows = [{"arm": arm, "seed": seed, "step": step, "psnr_db": p}
            for arm, curve in (("slow", [10, 12, 14]), ("fast", [13, 14, 14]))
            for seed in (0, 1) for step, p in zip((10, 20, 30), curve)]
    result = compare_arms(rows, margin_db=0.5)
    assert result["target_psnr_db"] == 13.5
    assert result["summary"]["slow"]["steps_to_target"] == 30
    assert result["summary"]["fast"]["steps_to_target"] == 20
    assert result["summary"]["fast"]["final_psnr_std_db"] == 0


# -- the command --------------------------------------------------------------------------------------
@pytest.mark.parametrize("analysis,key", [("similarity", "cos_sim"), ("fourier", "high_freq_rel_amp"),
                                          ("symbols", "ks_gaussian"), ("papr", "papr_db_1e-3")])
def test_analyze_command_writes_csv_png_and_json(analysis, key, npz_data, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["--threads", "1", "analyze", analysis, "--model", "cnn,vit", "--data", str(npz_data),
                 "--limit", "6", "--snr", "0,10", "--json", "--out", str(out)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {r["model"] for r in result["rows"]} == {"cnn", "vit"}
    assert {r["snr_db"] for r in result["rows"]} == {0.0, 10.0}
    assert all(math.isfinite(r[key]) for r in result["rows"])
    assert (out / f"{analysis}.png").stat().st_size > 5000
    with open(out / f"{analysis}.csv") as fh:
        assert len(list(csv.DictReader(fh))) >= len(result["rows"])
    if analysis == "similarity":  # one value per block: the input and 8 blocks per model
        assert sum(r["model"] == "cnn" and r["snr_db"] == 0 for r in result["rows"]) == 9
        assert all(-1 <= r["cos_sim"] <= 1 for r in result["rows"])


def test_analyze_prior_reports_both_arms(npz_data, tmp_path, capsys):
    out = tmp_path / "prior"
    args = ["--threads", "1", "analyze", "prior", "--data", str(npz_data), "--limit", "64", "--epochs", "2",
            "--seeds", "2", "--json", "--out", str(out)]
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result["arms"]) == {"no-prior", "gaussian-prior-w0.1"}
    for arm in result["arms"].values():
        assert arm["steps"] == [2, 4] and arm["seeds"] == 2 and len(arm["psnr_mean_db"]) == 2
    assert (out / "prior.png").exists() and (out / "prior" / "no-prior-seed1" / "log.csv").exists()
    assert main(args) == 0  # a rerun reuses the finished runs
    assert json.loads(capsys.readouterr().out) == result


def test_analyze_bad_input_is_one_error_line(tmp_path, capsys):
    from PIL import Image

    (tmp_path / "imgs").mkdir()
    Image.fromarray(np.zeros((40, 48, 3), np.uint8)).save(tmp_path / "imgs" / "a.png")
    assert main(["analyze", "similarity", "--model", "cnn", "--data", str(tmp_path / "imgs")]) == 2
    assert "--crop" in capsys.readouterr().err
    assert main(["analyze", "fourier", "--model", "cnn", "--data", str(tmp_path / "imgs"), "--crop", "64"]) == 2
    assert "smaller than --crop 64" in capsys.readouterr().err
    assert main(["analyze", "symbols", "--model", "nope", "--data", str(tmp_path / "imgs")]) == 2
    assert "semcom: error:" in capsys.readouterr().err


def test_symbols_bootstrap_interval_and_checkpoint_labels(npz_data, tmp_path, capsys):
    from semcom.zoo import resolve

    ckpt = tmp_path / "my-model.pt"
    ckpt.write_bytes(resolve("cnn").read_bytes())
    assert main(["--threads", "1", "analyze", "symbols", "--model", f"vit,{ckpt}", "--data", str(npz_data),
                 "--limit", "6", "--snr", "10", "--bootstrap", "4", "--json", "--out", str(tmp_path)]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [r["model"] for r in rows] == ["vit", "my-model"]
    assert all(r["nu_5pct"] <= r["nu_95pct"] for r in rows)

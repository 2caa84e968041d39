import json

import numpy as np
import pytest

from semcom.checkpoint import save_checkpoint
from semcom.cli import main
from semcom.models import build_model


@pytest.fixture
def ckpt(tmp_path):
    path = tmp_path / "tiny.pt"
    save_checkpoint(path, build_model("cnn", channels=16, num_res=0))
    return path


def test_eval_json_contract(ckpt, npz_data, capsys):
    rc = main(["eval", "--model", str(ckpt), "--data", str(npz_data), "--limit", "10",
               "--channel", "awgn", "--snr", "0,10", "--json"])
    assert rc == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["snr_db"] for r in rows] == [0.0, 10.0]
    for r in rows:
        assert {"snr_db", "psnr_db", "ssim", "n_images"} <= set(r) and r["n_images"] == 10
        assert 0 < r["psnr_db"] < 60 and -1 <= r["ssim"] <= 1


def test_eval_on_image_folder_table(ckpt, image_folder, capsys):
    assert main(["eval", "--model", str(ckpt), "--data", str(image_folder), "--snr", "5", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "PSNR" in out and out.strip().splitlines()[-1].split()[-1] == "3"


def test_eval_is_repeatable(ckpt, npz_data, capsys):
    args = ["eval", "--model", str(ckpt), "--data", str(npz_data), "--limit", "8", "--snr", "3", "--json"]
    main(args)
    first = capsys.readouterr().out
    main(args)
    assert capsys.readouterr().out == first


def test_eval_warns_outside_trained_snr_range(ckpt, npz_data, capsys):
    assert main(["eval", "--model", str(ckpt), "--data", str(npz_data), "--limit", "2", "--snr", "30", "--json"]) == 0
    captured = capsys.readouterr()
    assert captured.err.strip() == "semcom: warning: SNR [30.0] dB outside the model's trained range 0..20 dB"
    assert json.loads(captured.out)[0]["snr_db"] == 30.0


@pytest.mark.parametrize("args,match", [
    (["eval", "--model", "nope", "--data", "x"], "neither a zoo model"),
    (["eval", "--model", "{ckpt}", "--data", "/does/not/exist"], "does not exist"),
    (["eval", "--model", "{bad}", "--data", "{npz}"], "corrupt or unreadable"),
    (["eval", "--model", "{ckpt}", "--data", "{npz}", "--channel", "tdl-z"], "unknown channel"),
    (["train", "--data", "{npz}", "--out", "{tmp}/run", "--ratio", "1/7", "--max-steps", "1"], "ratio"),
])
def test_user_errors_are_one_line(args, match, ckpt, npz_data, tmp_path, capsys):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"\x00" * 64)
    args = [a.format(ckpt=ckpt, npz=npz_data, bad=bad, tmp=tmp_path) for a in args]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("semcom: error:") and match in err[0], err


def test_bad_snr_list_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["eval", "--model", "cnn", "--snr", "ten"])
    assert exc.value.code == 2


def test_train_then_eval_then_export(npz_data, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["--threads", "1", "train", "--data", str(npz_data), "--out", str(out), "--epochs", "1",
                 "--batch-size", "32", "--val-limit", "8", "--quiet", "--model-arg", "channels=16",
                 "--model-arg", "num_res=0"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["epoch"] == 1 and "val_psnr_10db" in result
    assert main(["export", "--checkpoint", str(out / "checkpoint.pt"), "--out", str(tmp_path / "w.pt")]) == 0
    entry = json.loads(capsys.readouterr().out)
    assert len(entry["sha256"]) == 64
    assert main(["eval", "--model", str(tmp_path / "w.pt"), "--data", str(npz_data), "--limit", "4",
                 "--snr", "10", "--json"]) == 0
    assert np.isfinite(json.loads(capsys.readouterr().out)[0]["psnr_db"])

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


@pytest.mark.parametrize("snr", ["1e9", "nan", "inf", "-99"])
def test_impossible_snrs_are_refused_at_parse_time(snr, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["eval", "--model", "cnn", "--data", "x", "--snr", f"0,{snr}"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "outside -30..60 dB" in err and "warning" not in err


def test_ota_tx_snr_must_be_in_the_models_trained_range(capsys):
    assert main(["ota", "--radio", "sim", "--config", "hw_configs/sim_awgn.yaml", "--tx-snr", "40"]) == 2
    assert "outside cnn's trained range 0..20 dB" in capsys.readouterr().err


def test_flat_training_refuses_ofdm_options(npz_data, tmp_path, capsys):
    assert main(["train", "--data", str(npz_data), "--out", str(tmp_path / "r"), "--mimo", "2x2", "--pa=rapp"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("semcom: error: --mimo, --pa need --link ofdm: they act on the MIMO-OFDM link only, "
                   "the flat channel would ignore them")
    assert not (tmp_path / "r").exists()


def test_train_out_defaults_to_the_architecture(monkeypatch):
    import semcom.training

    seen = {}
    monkeypatch.setattr(semcom.training, "train", lambda cfg, **kw: seen.setdefault("out", cfg.out) and {})
    assert main(["train", "--arch", "vit", "--data", "x"]) == 0
    assert seen["out"] == "runs/vit"


def test_every_option_has_help_with_its_default(capsys):
    from semcom.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, __import__("argparse")._SubParsersAction))
    for name, p in sub.choices.items():
        assert p.description, name
        for action in p._actions:
            if action.option_strings and action.dest != "help":
                assert action.help, f"semcom {name} {action.option_strings[0]} has no help"
        if name == "train":
            assert "(default: 64)" in p.format_help()


def test_export_without_zoo_name_has_no_card(npz_data, tmp_path, capsys):
    from semcom.checkpoint import save_checkpoint
    from semcom.models import build_model

    save_checkpoint(tmp_path / "c.pt", build_model("cnn", channels=16, num_res=0))
    assert main(["export", "--checkpoint", str(tmp_path / "c.pt"), "--out", str(tmp_path / "w.pt")]) == 0
    assert "card" not in json.loads(capsys.readouterr().out)


def test_missing_sionna_is_one_line_with_the_install_hint(monkeypatch, npz_data, capsys):
    import sys

    for mod in [m for m in sys.modules if m == "sionna" or m.startswith("sionna.")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, "sionna", None)  # import sionna -> ImportError
    rc = main(["sweep", "--model", "cnn", "--data", str(npz_data), "--limit", "2", "--snr", "10",
               "--channel", "tdl-a", "--json"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1, err
    assert "pip install 'semcom-sdr[sionna]'" in err[0]


def test_train_config_from_yaml_with_command_line_overrides(tmp_path, monkeypatch):
    import semcom.training
    from semcom.link import LinkOptions
    from semcom.models.cnn import CNNConfig

    (tmp_path / "run.yaml").write_text(
        "train:\n  arch: cnn\n  model: {channels: 16, num_res: 0, ratio: 1/12}\n  epochs: 7\n  lr: 0.002\n"
        "  channel: multipath\n  link: {mimo: 2x2x1, precoding: svd, pa: rapp, ibo_db: 3.0}\n")
    seen = {}
    monkeypatch.setattr(semcom.training, "train", lambda cfg, **kw: seen.setdefault("cfg", cfg) and {})
    assert main(["train", "--config", str(tmp_path / "run.yaml"), "--epochs", "9", "--ibo", "4"]) == 0
    cfg = seen["cfg"]
    assert cfg.epochs == 9 and cfg.lr == 0.002 and cfg.channel == "multipath" and cfg.out == "runs/cnn"
    assert cfg.model == CNNConfig(ratio="1/12", channels=16, num_res=0)
    assert cfg.link == LinkOptions(mimo="2x2x1", precoding="svd", pa="rapp", ibo_db=4.0)


@pytest.mark.parametrize("text,match", [("train: {epochz: 3}\n", "unknown setting"),
                                        ("train: {model: {width: 3}}\n", "unknown option"),
                                        ("train: {link: {mimo: 9x9}}\n", "antenna counts"),
                                        ("train: [1, 2\n", "not valid YAML")])
def test_bad_train_config_is_one_line(text, match, tmp_path, capsys):
    (tmp_path / "bad.yaml").write_text(text)
    assert main(["train", "--config", str(tmp_path / "bad.yaml")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and match in err[0], err


def test_json_runs_show_progress_on_a_terminal_only():
    import argparse

    from semcom.commands import show_progress

    class Stream:
        def __init__(self, tty):
            self.tty = tty

        def isatty(self):
            return self.tty

    def args(**kw):
        return argparse.Namespace(**{"json": False, "quiet": False, **kw})

    assert show_progress(args(json=True), Stream(True))  # the bar goes to stderr, the JSON to stdout
    assert not show_progress(args(json=True), Stream(False))
    assert show_progress(args(), Stream(False))
    assert not show_progress(args(quiet=True), Stream(True))

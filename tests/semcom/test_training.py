import csv
import os
import socket
import subprocess
import sys

import pytest
import torch

from semcom.checkpoint import CheckpointError, read_checkpoint
from semcom.training import TrainConfig, describe_channel, learning_rate, train

TINY = {"ratio": "1/6", "channels": 16, "num_res": 0}


def cfg(npz, out, **kw):
    base = dict(arch="cnn", model=TINY, data=str(npz), out=str(out), epochs=3, batch_size=32,
                lr=3e-3, warmup_steps=2, val_limit=16, save_every_s=3600)
    base.update(kw)
    return TrainConfig(**base)


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_loss_falls(npz_data, tmp_path, precision):
    train(cfg(npz_data, tmp_path / "run", precision=precision), progress=False)
    with open(tmp_path / "run" / "log.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 3
    losses = [float(r["train_loss"]) for r in rows]
    assert losses[-1] < 0.7 * losses[0]
    assert (tmp_path / "run" / "log.png").stat().st_size > 1000


def test_resume_is_exact(npz_data, tmp_path):
    """Stopping mid-epoch and resuming gives bit-identical weights to one uninterrupted run."""
    train(cfg(npz_data, tmp_path / "full", epochs=2), progress=False)
    train(cfg(npz_data, tmp_path / "cut", epochs=2, max_steps=5), progress=False)
    state = read_checkpoint(tmp_path / "cut" / "checkpoint.pt")["train_state"]
    assert (state["epoch"], state["batch"], state["step"]) == (0, 5, 5)
    train(cfg(npz_data, tmp_path / "cut", epochs=2), resume=True, progress=False)
    full = read_checkpoint(tmp_path / "full" / "checkpoint.pt")
    cut = read_checkpoint(tmp_path / "cut" / "checkpoint.pt")
    assert cut["train_state"]["step"] == full["train_state"]["step"] == 16
    for key, value in full["state_dict"].items():
        assert torch.equal(value, cut["state_dict"][key]), key
    for key, value in full["train_state"]["model"].items():
        assert torch.equal(value, cut["train_state"]["model"][key]), key


def test_wall_clock_budget_stops_after_the_step_that_spends_it(npz_data, tmp_path):
    train(cfg(npz_data, tmp_path / "run", epochs=2, max_minutes=1e-9), progress=False)
    state = read_checkpoint(tmp_path / "run" / "checkpoint.pt")["train_state"]
    assert (state["step"], state["epoch"], state["batch"]) == (1, 0, 1)
    with pytest.raises(ValueError, match="max_minutes"):
        cfg(npz_data, tmp_path / "x", max_minutes=0)


def test_resume_takes_this_runs_beta2(npz_data, tmp_path):
    train(cfg(npz_data, tmp_path / "run", epochs=1, max_steps=1), progress=False)
    saved = read_checkpoint(tmp_path / "run" / "checkpoint.pt")["train_state"]["optimizer"]
    assert saved["param_groups"][0]["betas"] == (0.9, 0.999)
    train(cfg(npz_data, tmp_path / "run", epochs=1, max_steps=2, beta2=0.95), resume=True, progress=False)
    saved = read_checkpoint(tmp_path / "run" / "checkpoint.pt")["train_state"]["optimizer"]
    assert saved["param_groups"][0]["betas"] == (0.9, 0.95)


def test_existing_run_needs_resume_and_matching_config(npz_data, tmp_path):
    train(cfg(npz_data, tmp_path / "run", max_steps=1), progress=False)
    with pytest.raises(CheckpointError, match="--resume"):
        train(cfg(npz_data, tmp_path / "run"), progress=False)
    with pytest.raises(CheckpointError, match="ratio"):
        train(cfg(npz_data, tmp_path / "run", model={**TINY, "ratio": "1/12"}), resume=True, progress=False)
    with pytest.raises(CheckpointError, match="'cnn' model, not 'vit'"):
        train(cfg(npz_data, tmp_path / "run", arch="vit", model={"dim": 16, "depth": 1, "heads": 2}),
              resume=True, progress=False)


def test_train_on_image_folder_uses_random_crops(image_folder, tmp_path):
    c = cfg(image_folder, tmp_path / "run", batch_size=2, epochs=1, limit=None, crop=32)
    train(c, progress=False)
    assert (tmp_path / "run" / "checkpoint.pt").exists()


def test_val_holdout_keeps_the_last_images_out_of_training(image_folder, tmp_path):
    from semcom.training import training_sets

    c = cfg(image_folder, tmp_path / "run", limit=None, val_holdout=1)
    train_set, val_set = training_sets(c)
    assert len(train_set) == 2 and len(val_set) == 1
    assert not set(train_set.names) & set(val_set.names)
    with pytest.raises(ValueError, match="no training image"):
        training_sets(cfg(image_folder, tmp_path / "run", limit=None, val_holdout=3))


def test_schedule_warms_up_then_decays():
    c = TrainConfig(lr=1e-3, min_lr=1e-5, warmup_steps=10)
    assert learning_rate(c, 0, 100) == pytest.approx(1e-4)
    assert learning_rate(c, 9, 100) == pytest.approx(1e-3)
    assert learning_rate(c, 100, 100) == pytest.approx(1e-5)
    assert learning_rate(c, 40, 100) > learning_rate(c, 60, 100)


@pytest.mark.parametrize("kw,match", [({"epochs": 0}, "epochs"), ({"lr": 2.0}, "lr"),
                                      ({"channel": "tdl"}, "channel"), ({"ema_decay": 1.0}, "ema_decay"),
                                      ({"precision": "fp16"}, "precision"), ({"beta2": 1.0}, "beta2")])
def test_bad_config_rejected(kw, match):
    with pytest.raises(ValueError, match=match):
        TrainConfig(**kw)


def test_bf16_autocast_stops_at_the_channel():
    """Under bfloat16 autocast the model body is bf16, but the channel runs without autocast on
    complex64 symbols and the model hands float32 images to the loss."""
    from torch import nn

    from phy.channels import AWGNChannel
    from semcom.models.registry import build_model
    from semcom.training import FullPrecision

    seen = []

    class Spy(nn.Module):
        def forward(self, s, snr_db):
            seen.append((s.dtype, torch.is_autocast_enabled("cpu")))
            return AWGNChannel()(s, snr_db)

    model = build_model("cnn", **TINY)
    x = torch.rand(2, 3, 32, 32)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert model.encode_latent(x, torch.zeros(2)).dtype == torch.bfloat16
        out = model(x, torch.tensor([5.0, 15.0]), FullPrecision(Spy()))
    assert seen == [(torch.complex64, False)]
    assert out["x_hat"].dtype == torch.float32 and out["symbols"].dtype == torch.complex64


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ddp_two_cpu_processes_on_gloo(npz_data, tmp_path):
    """torchrun with two CPU processes: gradients are all-reduced, rank 0 writes the checkpoint."""
    out = tmp_path / "ddp"
    env = dict(os.environ, GLOO_SOCKET_IFNAME="lo", OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nnodes", "1", "--nproc-per-node", "2",
           "--master-addr", "127.0.0.1", "--master-port", str(_free_port()),
           "-m", "semcom", "--threads", "1", "train", "--data", str(npz_data), "--out", str(out),
           "--epochs", "1", "--batch-size", "16", "--val-limit", "8", "--max-steps", "4", "--quiet",
           "--model-arg", "channels=8", "--model-arg", "num_res=0"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-2000:]
    state = read_checkpoint(out / "checkpoint.pt")["train_state"]
    assert state["world_size"] == 2 and state["step"] == 4
    # each rank saw a different shard: 4 steps x 16 images x 2 ranks
    assert read_checkpoint(out / "checkpoint.pt")["meta"]["images_seen"] == 128


def test_fine_tune_through_ofdm_link_with_pa_and_regularisers(npz_data, tmp_path):
    """Fine-tuning a zoo model through the MIMO-OFDM link with a Rapp PA, a PAPR penalty and a prior."""
    from semcom.zoo import load_model

    base = load_model("cnn")
    c = cfg(npz_data, tmp_path / "ft", model=base.config(), epochs=1, batch_size=16, max_steps=3,
            channel="multipath", link={"mimo": "2x2", "pa": "rapp", "ibo_db": 3.0, "clip_ratio_db": 4.0},
            papr_weight=0.1, prior_weight=0.1, init_from="cnn", lr=1e-4)
    result = train(c, progress=False)
    obj = read_checkpoint(tmp_path / "ft" / "checkpoint.pt")
    assert obj["train_state"]["step"] == 3
    from semcom import zoo

    assert obj["train_state"]["init_from_sha256"] == zoo.index()["cnn"]["sha256"]  # recorded for the card
    moved = [not torch.equal(obj["train_state"]["model"][k].float(), v.float())
             for k, v in base.state_dict().items()]
    assert any(moved)  # the fine-tuning steps changed the weights
    # validated through the training link (multipath, PA, clipping), not the flat AWGN channel
    from semcom.data import load_images
    from semcom.training import validate

    awgn = validate(load_model(str(tmp_path / "ft" / "checkpoint.pt")), load_images(str(npz_data), "test").subset(16),
                    "cpu")
    assert result["val_psnr_10db"] < awgn[10.0] - 0.5


def test_cli_clip_needs_the_ofdm_link(npz_data, tmp_path, capsys):
    from semcom.cli import main

    assert main(["train", "--data", str(npz_data), "--out", str(tmp_path / "r"), "--clip", "4"]) == 2
    assert "--clip needs --link ofdm" in capsys.readouterr().err


def test_init_from_a_model_of_another_ratio_is_refused(npz_data, tmp_path):
    with pytest.raises(CheckpointError, match="ratio"):
        train(cfg(npz_data, tmp_path / "x", model={"ratio": "1/12", "channels": 96, "num_res": 2},
                  init_from="cnn", max_steps=1), progress=False)


def test_describe_channel_names_the_link():
    assert describe_channel(TrainConfig(channel="awgn")) == "awgn"
    cfg = TrainConfig(channel="tdl-a", link={"mimo": "2x2x1", "precoding": "svd", "pa": "rapp", "ibo_db": 3.0})
    assert describe_channel(cfg) == "2x2x1 OFDM tdl-a, svd precoding, rapp PA at 3 dB IBO"


def test_compacted_training_state_resumes(npz_data, tmp_path):
    from semcom.checkpoint import compact_training_state

    train(cfg(npz_data, tmp_path / "run", max_steps=2, epochs=1), progress=False)
    sizes = compact_training_state(tmp_path / "run" / "checkpoint.pt", tmp_path / "small" / "checkpoint.pt")
    assert sizes["after"] < sizes["before"]
    small = read_checkpoint(tmp_path / "small" / "checkpoint.pt")
    assert small["train_state"]["optimizer"]["state"][0]["exp_avg_sq"].dtype == torch.bfloat16
    assert {v.dtype for v in small["state_dict"].values() if v.is_floating_point()} == {torch.float16}
    result = train(cfg(npz_data, tmp_path / "small", max_steps=4, epochs=1), resume=True, progress=False)
    assert result["step"] == 4 and result["train_loss"] == result["train_loss"]


def test_init_from_a_wider_cnn_narrows_its_latent(npz_data, tmp_path):
    """A 1/12 CNN of the zoo cnn's shape starts from the 1/6 zoo cnn (rate adaptation by truncation)."""
    from semcom import zoo
    from semcom.zoo import load_model

    base = load_model("cnn")
    train(cfg(npz_data, tmp_path / "n", model={**base.config(), "ratio": "1/12"}, init_from="cnn", max_steps=1,
              epochs=1, batch_size=4, lr=2e-5, min_lr=1e-6), progress=False)
    obj = read_checkpoint(tmp_path / "n" / "checkpoint.pt")
    assert obj["train_state"]["init_from_sha256"] == zoo.index()["cnn"]["sha256"]
    narrow = obj["train_state"]["model"]
    assert narrow["encoder.head.weight"].shape[0] * 2 == base.state_dict()["encoder.head.weight"].shape[0]
    assert torch.allclose(narrow["encoder.down1.conv.weight"].float(), base.state_dict()["encoder.down1.conv.weight"],
                          atol=1e-3)
    with pytest.raises(CheckpointError, match="ratio"):  # a wider model cannot start from a narrower one
        train(cfg(npz_data, tmp_path / "w", model={**base.config(), "ratio": "1/3"}, init_from="cnn", max_steps=1),
              progress=False)

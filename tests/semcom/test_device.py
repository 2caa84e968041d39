"""The link and a training step follow the module to its device.

On a CPU-only machine the fixture offers only ``cpu``; with CUDA it adds ``cuda``
(``scripts/gpu_check.py`` runs the same on a lent GPU). Moving to ``meta`` proves
that no block keeps state the move would leave behind.
"""

import pytest
import torch

from semcom.link import LinkConfig, OFDMLink, ofdm_for
from semcom.models import build_model
from semcom.training import TrainConfig, train_step


def _devices():
    return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def _link(**kw):
    return OFDMLink(LinkConfig(ofdm=ofdm_for("2x2x1"), channel="multipath", precoding="svd", pa="rapp",
                               estimator="lmmse", **kw))


def test_every_block_of_the_link_moves_with_it():
    link = _link()
    link(torch.randn(2, 512, dtype=torch.complex64), torch.tensor([10.0, 10.0]))  # builds the 512-symbol blocks
    assert len(list(link.grids.parameters())) + len(list(link.grids.buffers())) > 0
    link = link.to("meta")
    assert {t.device.type for t in link.buffers()} == {"meta"}
    link.blocks(256)  # blocks built after the move are built on the link's device
    assert {t.device.type for t in link.grids["256"].buffers()} == {"meta"}


@pytest.mark.parametrize("device", _devices())
def test_link_and_one_training_step_run_on_the_device(device):
    model = build_model("cnn", channels=16, num_res=0).to(device)
    link = _link().to(device)
    x = torch.rand(2, 3, 32, 32, device=device)
    out = model(x, torch.full((2,), 10.0, device=device), link)
    assert out["x_hat"].device.type == device and out["tx_signal"].device.type == device
    cfg = TrainConfig(link={"mimo": "2x2x1"}, channel="multipath")
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    loss = train_step(cfg, model, link, optimizer, x, torch.full((2,), 10.0, device=device))
    assert loss == loss and loss > 0  # finite


def test_seeded_noise_is_drawn_by_the_generator_then_moved():
    from phy.channels import complex_normal

    gen = torch.Generator().manual_seed(7)
    a = complex_normal((3, 4), 0.5, generator=gen)
    gen = torch.Generator().manual_seed(7)
    b = complex_normal((3, 4), 0.5, device="meta", generator=gen)
    assert b.device.type == "meta" and a.device.type == "cpu"
    assert torch.equal(a, complex_normal((3, 4), 0.5, device="cpu", generator=torch.Generator().manual_seed(7)))


@pytest.mark.parametrize("device", _devices())
def test_evaluation_runs_on_the_device_with_the_cpus_noise(device):
    from semcom.data import ImageSet
    from semcom.evaluation import evaluate

    torch.manual_seed(0)
    model = build_model("cnn", channels=16, num_res=0)
    images = ImageSet((torch.rand(3, 32, 32, 3) * 255).to(torch.uint8).numpy(), ["a", "b", "c"])
    on_cpu = evaluate(model, images, [5.0])
    on_device = evaluate(model.to(device), images, [5.0], device=device)
    assert on_device[0]["psnr_db"] == pytest.approx(on_cpu[0]["psnr_db"], abs=1e-3)


def test_stage_gpu_data_copies_validation_first_and_stays_under_the_budget(tmp_path):
    """scripts/stage_gpu_data.py: the evaluation photos first, then training photos while the travelling
    tree stays under the budget; a source without train/ and val/ is refused by name."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scripts" / "stage_gpu_data.py"
    spec = importlib.util.spec_from_file_location("stage_gpu_data", path)
    stage = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stage)
    source = tmp_path / "bsds500"
    for split in ("train", "val"):
        (source / split).mkdir(parents=True)
        for i in range(3):
            (source / split / f"{i}.jpg").write_bytes(b"x" * 1000)
    (source / "train" / "notes.txt").write_text("not a photo")
    assert stage.travelling_bytes() > 0
    val, train, used = stage.stage(source, tmp_path / "out", 2, 10_000 + 3500, used=10_000)
    assert (val, train) == (2, 1) and used == 10_000 + 3000
    assert sorted(p.name for p in (tmp_path / "out" / "val").iterdir()) == ["0.jpg", "1.jpg"]
    with pytest.raises(SystemExit, match="train"):
        stage.stage(tmp_path / "out" / "val", tmp_path / "x", 1, 10**6, used=0)

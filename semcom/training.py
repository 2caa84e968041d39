"""Training: AdamW, warm-up + cosine LR, EMA weights, resumable checkpoints, DDP.

Resuming loses nothing: the epoch's permutation and every step's noise come
from seeds (``seed``, epoch, step, rank), so a run resumed from a mid-epoch
checkpoint continues with exactly the batches it would have seen. Checkpoints
are written atomically every ``save_every_s`` seconds and at each epoch's end.

Multi-GPU / multi-node: launch with ``torchrun --nproc-per-node N -m semcom train …``;
the process group uses NCCL on CUDA and gloo on CPU.
"""

from __future__ import annotations

import copy
import csv
import math
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

from phy.channels import CHANNELS, make_channel

from .checkpoint import (CheckpointError, check_compatible, load_state, read_checkpoint, save_checkpoint,
                         sha256_file)
from .data import ImageSet, iter_batches, load_images, random_crops, to_tensor
from .metrics import psnr
from .models.base import JSCCModel
from .link import LinkOptions, OFDMLink
from .models.registry import ARCHITECTURES, ModelConfig, model_config

CHECKPOINT = "checkpoint.pt"
LOG = "log.csv"
VAL_SNRS_DB = (0.0, 10.0, 20.0)
PRECISIONS = {"fp32": None, "bf16": torch.bfloat16}


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run needs; validated on construction."""

    arch: str = "cnn"
    model: ModelConfig | dict = field(default_factory=dict)
    data: str | None = None
    out: str = "runs/cnn"
    epochs: int = 100
    batch_size: int = 64
    lr: float = 1e-3
    min_lr: float = 1e-5
    weight_decay: float = 1e-4
    beta2: float = 0.999
    warmup_steps: int = 500
    channel: str = "awgn"
    ema_decay: float = 0.999
    clip_grad_norm: float | None = 1.0
    link: LinkOptions | dict | None = None
    papr_weight: float = 0.0
    papr_target_db: float = 6.0
    prior_weight: float = 0.0
    prior: str = "gaussian"
    prior_nu: float = 5.0
    init_from: str | None = None
    save_every_s: float = 300.0
    limit: int | None = None
    val_limit: int = 1000
    val_holdout: int = 0
    crop: int = 32
    max_steps: int | None = None
    seed: int = 0
    precision: str = "fp32"

    def __post_init__(self):
        # typed sections: dicts (YAML, old checkpoints' records) become their dataclasses, validated
        if isinstance(self.model, dict):
            object.__setattr__(self, "model", model_config(self.arch, **self.model))
        elif not isinstance(self.model, ARCHITECTURES[self.arch].config_class if self.arch in ARCHITECTURES
                            else type(None)):
            raise ValueError(f"model config {type(self.model).__name__} is not for arch {self.arch!r}")
        if isinstance(self.link, dict):
            object.__setattr__(self, "link", LinkOptions.from_dict(self.link))
        positive = {"epochs": self.epochs, "batch_size": self.batch_size, "val_limit": self.val_limit,
                    "crop": self.crop}
        for name, value in positive.items():
            if int(value) < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")
        if not 0 < self.lr < 1 or not 0 <= self.min_lr <= self.lr:
            raise ValueError(f"need 0 < lr < 1 and 0 <= min_lr <= lr, got lr={self.lr}, min_lr={self.min_lr}")
        if not 0 < self.beta2 < 1:
            raise ValueError(f"beta2 must be in (0, 1), got {self.beta2}")
        if not 0 <= self.ema_decay < 1:
            raise ValueError(f"ema_decay must be in [0, 1), got {self.ema_decay}")
        if self.link is None and self.channel not in CHANNELS:
            raise ValueError(f"channel must be one of {CHANNELS} (or use an OFDM link), got {self.channel!r}")
        if self.papr_weight < 0 or self.prior_weight < 0:
            raise ValueError("papr_weight and prior_weight must be >= 0")
        if self.clip_grad_norm is not None and self.clip_grad_norm <= 0:
            raise ValueError(f"clip_grad_norm must be > 0 or None, got {self.clip_grad_norm}")
        if self.warmup_steps < 0 or self.save_every_s <= 0:
            raise ValueError("warmup_steps must be >= 0 and save_every_s > 0")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {sorted(PRECISIONS)}, got {self.precision!r}")
        if self.val_holdout < 0:
            raise ValueError(f"val_holdout must be >= 0, got {self.val_holdout}")
        for name in ("limit", "max_steps"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")


def training_sets(cfg: TrainConfig) -> tuple[ImageSet, ImageSet]:
    """(training set, validation set). An image folder has no test split: with
    ``val_holdout`` N its last N images (by name) validate and the rest train; without
    it the folder's first ``val_limit`` images validate (they are also trained on)."""
    train_set = load_images(cfg.data, "train")
    if cfg.val_holdout:
        if cfg.val_holdout >= len(train_set):
            raise ValueError(f"--val-holdout {cfg.val_holdout} leaves no training image of {len(train_set)}")
        cut = len(train_set) - cfg.val_holdout
        held = ImageSet(train_set.images[cut:], train_set.names[cut:])
        return ImageSet(train_set.images[:cut], train_set.names[:cut]).subset(cfg.limit), held.subset(cfg.val_limit)
    return train_set.subset(cfg.limit), load_images(cfg.data, "test").subset(cfg.val_limit)


def build_channel(cfg: TrainConfig) -> nn.Module:
    """The flat training channel, or the MIMO-OFDM link described by ``cfg.link``."""
    if cfg.link is None:
        return make_channel(cfg.channel)
    return OFDMLink(cfg.link.link_config(cfg.channel))


class FullPrecision(nn.Module):
    """Runs a channel with autocast off: under ``precision="bf16"`` only the
    model's body computes in bfloat16, power normalisation and the PHY stay in
    float32 / complex64.

    :input s: [B,k] complex64 symbols, ``snr_db`` [B]. :output: the channel's output.
    """

    def __init__(self, channel: nn.Module):
        super().__init__()
        self.channel = channel

    def forward(self, s: torch.Tensor, snr_db: torch.Tensor):
        with torch.autocast(s.device.type, enabled=False):
            return self.channel(s, snr_db)


def train_step(cfg: TrainConfig, net: nn.Module, channel: nn.Module, optimizer: torch.optim.Optimizer,
               x: torch.Tensor, snr_db: torch.Tensor) -> float:
    """One optimizer step on images ``x`` [B,3,H,W] at SNRs ``snr_db`` [B]; returns the loss.

    MSE + the configured regularisers, under ``cfg.precision`` autocast for the
    model body, gradient-norm clipping, then the optimizer's step.
    """
    dtype = PRECISIONS[cfg.precision]
    with torch.autocast(x.device.type, dtype=dtype, enabled=dtype is not None):
        out = net(x, snr_db, FullPrecision(channel) if dtype is not None else channel)
    if cfg.link is not None:
        out.update(symbol_length=channel.cfg.ofdm.symbol_length, cp_length=channel.cfg.ofdm.cp_length)
    loss = nn.functional.mse_loss(out["x_hat"], x) + regularisers(cfg, out)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if cfg.clip_grad_norm:
        nn.utils.clip_grad_norm_(net.parameters(), cfg.clip_grad_norm)
    optimizer.step()
    return loss.item()


def describe_channel(cfg: TrainConfig) -> str:
    """The training (and validation) channel in words, e.g. ``2x2 OFDM tdl-a, rapp PA at 3 dB IBO``."""
    if cfg.link is None:
        return cfg.channel
    link = cfg.link
    text = f"{link.mimo} OFDM {cfg.channel}"
    if link.precoding != "identity":
        text += f", {link.precoding} precoding"
    if link.pa != "none":
        text += f", {link.pa} PA at {link.ibo_db:g} dB IBO"
    if link.clip_ratio_db is not None:
        text += f", clip {link.clip_ratio_db:g} dB"
    return text


def regularisers(cfg: TrainConfig, out: dict) -> torch.Tensor | float:
    """PAPR penalty on the transmitted waveform (or the symbol block on a flat
    channel) and the prior regulariser on the symbols, weighted."""
    total = 0.0
    if cfg.papr_weight:
        from phy.papr import papr_penalty

        if out["tx_signal"] is not None:
            total = total + cfg.papr_weight * papr_penalty(out["tx_signal"], out["symbol_length"],
                                                           out["cp_length"], cfg.papr_target_db)
        else:
            s = out["symbols"]
            total = total + cfg.papr_weight * papr_penalty(s, s.shape[-1], 0, cfg.papr_target_db)
    if cfg.prior_weight:
        from phy.prior import PriorRegularizer

        total = total + cfg.prior_weight * PriorRegularizer(cfg.prior, cfg.prior_nu)(out["symbols"])
    return total


def learning_rate(cfg: TrainConfig, step: int, total_steps: int) -> float:
    """Linear warm-up to ``lr``, then cosine decay to ``min_lr`` at ``total_steps``."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    progress = min(1.0, (step - cfg.warmup_steps) / max(1, total_steps - cfg.warmup_steps))
    return cfg.min_lr + 0.5 * (cfg.lr - cfg.min_lr) * (1.0 + math.cos(math.pi * progress))


@dataclass
class Dist:
    """Rank, world size and device of this process."""

    rank: int = 0
    world: int = 1
    device: torch.device = torch.device("cpu")

    @property
    def main(self) -> bool:
        return self.rank == 0


def setup_distributed() -> Dist:
    """Join the torchrun process group if ``WORLD_SIZE`` > 1, else a single process."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    use_cuda = torch.cuda.is_available()
    if world <= 1:
        return Dist(device=torch.device("cuda" if use_cuda else "cpu"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if use_cuda:
        torch.cuda.set_device(local_rank)
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    device = torch.device(f"cuda:{local_rank}" if use_cuda else "cpu")
    return Dist(rank=dist.get_rank(), world=dist.get_world_size(), device=device)


class EMA:
    """Exponential moving average of a model's parameters (the weights we ship)."""

    def __init__(self, model: nn.Module, decay: float):
        self.decay = decay
        self.model = copy.deepcopy(model).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module, step: int) -> None:
        decay = min(self.decay, (1.0 + step) / (10.0 + step))
        for p_ema, p in zip(self.model.parameters(), model.parameters()):
            p_ema.lerp_(p.detach(), 1.0 - decay)


def _batch(images: ImageSet, idx: np.ndarray, crop: int, rng: np.random.Generator) -> np.ndarray:
    if images.uniform:
        return images.images[idx]
    return random_crops(images, crop, len(idx), rng)


def augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random horizontal flip per image. :input x: [B,3,H,W]. :output: same."""
    flip = torch.rand(x.shape[0], generator=generator, device="cpu").to(x.device) < 0.5
    return torch.where(flip[:, None, None, None], x.flip(-1), x)


@torch.no_grad()
def validate(model: JSCCModel, images: ImageSet, device, snrs=VAL_SNRS_DB, batch_size: int = 250,
             channel: nn.Module | None = None) -> dict:
    """Mean PSNR (dB) at each SNR over ``channel`` (default flat AWGN), with fixed noise (seed 1234).

    A run trained through the OFDM link is validated through that link (its fading and PA),
    so its log shows what it is optimised for."""
    channel = make_channel("awgn") if channel is None else channel
    gen = torch.Generator(device="cpu").manual_seed(1234)
    state = torch.random.get_rng_state()
    torch.manual_seed(1234)  # Sionna's channel taps come from torch's global generator
    result = {}
    for snr in snrs:
        values = []
        for _, chunk in iter_batches(images, batch_size):
            x = to_tensor(chunk, device)
            s = model.encode(x, snr)
            out = channel(s, torch.full((x.shape[0],), snr, device=device), generator=gen)
            x_hat = model.decode(out.decoder_symbols.to(device), out.snr_eff_db.to(device), x.shape[2:])
            values.append(psnr(x_hat, x).cpu())  # [B] per-image PSNR, gathered on the CPU
        result[snr] = float(torch.cat(values).mean())
    torch.random.set_rng_state(state)
    return result


def write_log(path: Path, rows: list[dict]) -> None:
    """Write the per-epoch history as CSV, atomically (it is derived from the checkpoint)."""
    if not rows:
        return
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)


def plot_log(csv_path: Path, png_path: Path, title: str = "AWGN") -> None:
    """Validation PSNR and training loss per epoch, from the CSV log, to a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(csv_path) as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        return
    epochs = [int(r["epoch"]) for r in rows]
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    for key in rows[0]:
        if key.startswith("val_psnr_"):
            a.plot(epochs, [float(r[key]) for r in rows], marker=".", label=key[9:].replace("db", " dB"))
    a.set(xlabel="epoch", ylabel="validation PSNR (dB)", title=f"EMA model, {title}")
    a.grid(alpha=0.3)
    a.legend(title="SNR")
    b.plot(epochs, [float(r["train_loss"]) for r in rows], marker=".")
    b.set(xlabel="epoch", ylabel="train MSE", yscale="log", title="training loss")
    b.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(png_path, dpi=100)
    plt.close(fig)


def train(cfg: TrainConfig, resume: bool = False, progress: bool = True, command: str | None = None) -> dict:
    """Run (or resume) training; returns the last validation result.

    Writes ``checkpoint.pt`` (full state, EMA weights as the model), ``log.csv``
    and ``log.png`` under ``cfg.out``; ``command`` (the CLI line) is recorded for model cards.
    """
    env = setup_distributed()
    out = Path(cfg.out)
    ckpt_path = out / CHECKPOINT
    train_set, val_set = training_sets(cfg)

    torch.manual_seed(cfg.seed)  # identical initial weights on every rank and every run
    # channels_last: oneDNN convolutions on CPU ran 10-30% faster per step (measured on this CI's cores)
    model = ARCHITECTURES[cfg.arch](cfg.model).to(env.device, memory_format=torch.channels_last)
    ema = EMA(model, cfg.ema_decay)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, betas=(0.9, cfg.beta2), weight_decay=cfg.weight_decay)
    epoch, batch_start, step, elapsed = 0, 0, 0, 0.0
    history: list[dict] = []
    init_sha256 = None  # of the weights --init-from started from, for the model card

    if ckpt_path.exists() and not resume:
        raise CheckpointError(f"{ckpt_path} exists: pass --resume to continue it, or choose another --out")
    if resume and ckpt_path.exists():
        obj = read_checkpoint(ckpt_path)
        check_compatible(obj, cfg.arch, model.config(), str(ckpt_path))
        state = obj.get("train_state")
        if state is None:
            raise CheckpointError(f"{ckpt_path} has no training state to resume from")
        load_state(ema.model, obj["state_dict"], str(ckpt_path))
        load_state(model, state["model"], str(ckpt_path))
        optimizer.load_state_dict(state["optimizer"])
        for group in optimizer.param_groups:  # this run's beta2 wins over the saved one (e.g. to calm loss spikes)
            group["betas"] = (group["betas"][0], cfg.beta2)
        epoch, batch_start, step, elapsed = state["epoch"], state["batch"], state["step"], state["elapsed_s"]
        history = list(state.get("history", []))
        init_sha256 = state.get("init_from_sha256")
        if env.main:
            print(f"resuming {ckpt_path}: epoch {epoch}, batch {batch_start}, step {step}", file=sys.stderr)

    net = model
    if env.world > 1:
        net = nn.parallel.DistributedDataParallel(model, device_ids=[env.device.index] if env.device.type == "cuda" else None)
    channel = build_channel(cfg).to(env.device)
    if cfg.init_from and step == 0:
        from .zoo import load_model, resolve

        start = load_model(cfg.init_from)
        init_sha256 = sha256_file(resolve(cfg.init_from))
        check_compatible({"arch": start.arch, "config": start.config()}, cfg.arch, model.config(), cfg.init_from)
        model.load_state_dict(start.state_dict())
        ema.model.load_state_dict(start.state_dict())
    lo, hi = model.snr_range_db
    steps_per_epoch = len(train_set) // (cfg.batch_size * env.world)
    if steps_per_epoch < 1:
        raise ValueError(f"{len(train_set)} training images are fewer than one batch of "
                         f"{cfg.batch_size} x {env.world} processes")
    total_steps = cfg.epochs * steps_per_epoch

    def save(next_epoch: int, next_batch: int) -> None:
        if env.main:
            state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": next_epoch,
                     "batch": next_batch, "step": step, "elapsed_s": elapsed + time.time() - t0,
                     "train_config": asdict(cfg), "world_size": env.world,
                     "command": command,
                     "hardware": hardware, "history": history, "init_from_sha256": init_sha256}
            meta = {"epochs_done": next_epoch + next_batch / steps_per_epoch, "images_seen": step * cfg.batch_size * env.world,
                    "train_channel": cfg.channel, "snr_range_db": [lo, hi]}
            save_checkpoint(ckpt_path, model, state_dict=ema.model.state_dict(), meta=meta, train_state=state)

    hardware = hardware_summary(env.device)
    t0 = time.time()
    last_save = t0
    result: dict = {}
    interactive = sys.stderr.isatty()
    while epoch < cfg.epochs and (cfg.max_steps is None or step < cfg.max_steps):
        perm = np.random.default_rng([cfg.seed, epoch]).permutation(len(train_set))
        model.train()
        losses = []
        bar = _progress(range(batch_start, steps_per_epoch), f"epoch {epoch + 1}/{cfg.epochs}",
                        progress and env.main, interactive)
        done = batch_start
        for b in bar:
            gen = torch.Generator().manual_seed(hash((cfg.seed, step, env.rank)) & 0x7FFFFFFF)
            rng = np.random.default_rng([cfg.seed, step, env.rank])
            first = (b * env.world + env.rank) * cfg.batch_size
            x = augment(to_tensor(_batch(train_set, np.sort(perm[first:first + cfg.batch_size]), cfg.crop, rng),
                                  env.device), gen).contiguous(memory_format=torch.channels_last)
            snr = (lo + (hi - lo) * torch.rand(x.shape[0], generator=gen)).to(env.device)
            torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=gen)))
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(cfg, step, total_steps)
            losses.append(train_step(cfg, net, channel, optimizer, x, snr))
            ema.update(model, step)
            step += 1
            done = b + 1
            if hasattr(bar, "set_postfix") and step % 20 == 0:
                bar.set_postfix(loss=f"{np.mean(losses[-50:]):.5f}", lr=f"{optimizer.param_groups[0]['lr']:.2e}",
                                refresh=False)
            if time.time() - last_save > cfg.save_every_s:
                save(epoch, done)
                last_save = time.time()
            if cfg.max_steps is not None and step >= cfg.max_steps:
                break
        finished_epoch = done >= steps_per_epoch
        next_epoch, next_batch = (epoch + 1, 0) if finished_epoch else (epoch, done)
        if env.main:
            val = validate(ema.model, val_set, env.device, channel=channel)
            result = {"epoch": next_epoch, "step": step, "train_loss": float(np.mean(losses)) if losses else float("nan"),
                      **{f"val_psnr_{s:g}db": round(v, 3) for s, v in val.items()},
                      "lr": optimizer.param_groups[0]["lr"], "elapsed_s": round(elapsed + time.time() - t0, 1)}
            if finished_epoch:
                history.append(result)
            save(next_epoch, next_batch)
            last_save = time.time()
            if history:
                write_log(out / LOG, history)
                plot_log(out / LOG, out / "log.png", title=describe_channel(cfg))
            print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in result.items()),
                  file=sys.stderr)
        epoch, batch_start = next_epoch, next_batch
    if env.world > 1:
        dist.barrier()
    return result


def hardware_summary(device: torch.device) -> str:
    """What this process trains on, for model cards."""
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)} (CUDA)"
    model = "CPU"
    try:
        with open("/proc/cpuinfo") as fh:
            model = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), model)
    except OSError:
        pass
    return f"{model}, {torch.get_num_threads()} torch thread(s) of {os.cpu_count()} cores"


def _progress(iterable, desc: str, enabled: bool, interactive: bool):
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, mininterval=0.5 if interactive else 30.0, file=sys.stderr, leave=interactive)

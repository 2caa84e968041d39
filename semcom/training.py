"""Training: AdamW, warm-up + cosine LR, EMA weights, resumable checkpoints, DDP.

Resuming loses nothing: the epoch's permutation and every step's noise come
from seeds (``seed``, epoch, step, rank), so a run resumed from a mid-epoch
checkpoint continues with exactly the batches it would have seen. Checkpoints
are written atomically every ``save_every_s`` seconds and at each epoch's end, and when
``max_steps`` or the wall-clock budget ``max_minutes`` (of this invocation) stops the run.

Multi-GPU / multi-node: launch with ``torchrun --nproc-per-node N -m semcom train …``;
the process group uses NCCL on CUDA and gloo on CPU.
"""

from __future__ import annotations

import copy
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

from phy.channels import make_channel

from .checkpoint import (CheckpointError, check_compatible, load_state, read_checkpoint, save_checkpoint,
                         sha256_file)
from .data import ImageSet, iter_batches, load_images, random_crops, to_tensor
from .metrics import psnr
from .models.base import JSCCModel
from .link import OFDMLink
from .models.registry import ARCHITECTURES
from .train_config import PRECISIONS, TrainConfig, describe_channel
from .train_log import hardware_summary, plot_log, write_log

CHECKPOINT = "checkpoint.pt"
LOG = "log.csv"
VAL_SNRS_DB = (0.0, 10.0, 20.0)


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


@dataclass
class RunState:
    """What a training run carries from step to step and across a resume."""

    model: JSCCModel
    ema: "EMA"
    optimizer: torch.optim.Optimizer
    epoch: int = 0
    batch: int = 0
    step: int = 0
    elapsed_s: float = 0.0
    history: list = field(default_factory=list)
    init_sha256: str | None = None  # of the weights --init-from started from, for the model card

    def restore(self, path: Path, cfg: TrainConfig) -> None:
        """Continue the run saved at ``path`` (this run's ``beta2`` wins, e.g. to calm loss spikes)."""
        obj = read_checkpoint(path)
        check_compatible(obj, cfg.arch, self.model.config(), str(path))
        state = obj.get("train_state")
        if state is None:
            raise CheckpointError(f"{path} has no training state to resume from")
        load_state(self.ema.model, obj["state_dict"], str(path))
        load_state(self.model, state["model"], str(path))
        self.optimizer.load_state_dict(state["optimizer"])
        for group in self.optimizer.param_groups:
            group["betas"] = (group["betas"][0], cfg.beta2)
        self.epoch, self.batch, self.step = state["epoch"], state["batch"], state["step"]
        self.elapsed_s = state["elapsed_s"]
        self.history = list(state.get("history", []))
        self.init_sha256 = state.get("init_from_sha256")

    def start_from(self, name: str, cfg: TrainConfig) -> None:
        """Start from the weights of a zoo model or checkpoint (``--init-from``)."""
        from .zoo import load_model, resolve

        start = load_model(name)
        self.init_sha256 = sha256_file(resolve(name))
        if _narrows_ratio(start, self.model):
            self.model.load_narrower(start)
        else:
            check_compatible({"arch": start.arch, "config": start.config()}, cfg.arch, self.model.config(), name)
            self.model.load_state_dict(start.state_dict())
        self.ema.model.load_state_dict(self.model.state_dict())

    def save(self, path: Path, cfg: TrainConfig, env: "Dist", steps_per_epoch: int, elapsed_s: float,
             command: str | None, hardware: str) -> None:
        """Checkpoint: the EMA weights as the model, everything else as the training state."""
        state = {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(), "epoch": self.epoch,
                 "batch": self.batch, "step": self.step, "elapsed_s": elapsed_s, "train_config": asdict(cfg),
                 "world_size": env.world, "command": command, "hardware": hardware, "history": self.history,
                 "init_from_sha256": self.init_sha256}
        meta = {"epochs_done": self.epoch + self.batch / steps_per_epoch,
                "images_seen": self.step * cfg.batch_size * env.world, "train_channel": cfg.channel,
                "snr_range_db": list(self.model.snr_range_db)}
        save_checkpoint(path, self.model, state_dict=self.ema.model.state_dict(), meta=meta, train_state=state)


def _narrows_ratio(start, model) -> bool:
    """True when ``model`` is ``start`` (a CNN) with a smaller bandwidth ratio and nothing else changed."""
    same = {k: v for k, v in start.config().items() if k != "ratio"} == \
        {k: v for k, v in model.config().items() if k != "ratio"}
    return start.arch == model.arch == "cnn" and same and model.ratio < start.ratio


def _new_run(cfg: TrainConfig, env: "Dist") -> RunState:
    torch.manual_seed(cfg.seed)  # identical initial weights on every rank and every run
    # channels_last: oneDNN convolutions on CPU ran 10-30% faster per step (measured on this CI's cores)
    model = ARCHITECTURES[cfg.arch](cfg.model).to(env.device, memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, betas=(0.9, cfg.beta2),
                                  weight_decay=cfg.weight_decay)
    return RunState(model=model, ema=EMA(model, cfg.ema_decay), optimizer=optimizer)


def _training_batch(cfg: TrainConfig, env: "Dist", train_set: ImageSet, perm: np.ndarray, b: int, step: int,
                    snr_range: tuple[float, float]) -> tuple[torch.Tensor, torch.Tensor]:
    """Images [B,3,H,W] (flipped, channels-last) and SNRs [B] of batch ``b``, from seeds alone; also
    seeds torch's global generator for the step's channel noise."""
    gen = torch.Generator().manual_seed(hash((cfg.seed, step, env.rank)) & 0x7FFFFFFF)
    rng = np.random.default_rng([cfg.seed, step, env.rank])
    first = (b * env.world + env.rank) * cfg.batch_size
    x = augment(to_tensor(_batch(train_set, np.sort(perm[first:first + cfg.batch_size]), cfg.crop, rng),
                          env.device), gen).contiguous(memory_format=torch.channels_last)
    lo, hi = snr_range
    snr = (lo + (hi - lo) * torch.rand(x.shape[0], generator=gen)).to(env.device)
    torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=gen)))
    return x, snr


def _epoch_result(run: RunState, val: dict, losses: list, elapsed_s: float) -> dict:
    return {"epoch": run.epoch, "step": run.step,
            "train_loss": float(np.mean(losses)) if losses else float("nan"),
            **{f"val_psnr_{s:g}db": round(v, 3) for s, v in val.items()},
            "lr": run.optimizer.param_groups[0]["lr"], "elapsed_s": round(elapsed_s, 1)}


def train(cfg: TrainConfig, resume: bool = False, progress: bool = True, command: str | None = None) -> dict:
    """Run (or resume) training; returns the last validation result.

    Writes ``checkpoint.pt`` (full state, EMA weights as the model), ``log.csv``
    and ``log.png`` under ``cfg.out``; ``command`` (the CLI line) is recorded for model cards.
    """
    env = setup_distributed()
    out = Path(cfg.out)
    ckpt_path = out / CHECKPOINT
    train_set, val_set = training_sets(cfg)
    run = _new_run(cfg, env)
    if ckpt_path.exists() and not resume:
        raise CheckpointError(f"{ckpt_path} exists: pass --resume to continue it, or choose another --out")
    if resume and ckpt_path.exists():
        run.restore(ckpt_path, cfg)
        if env.main:
            print(f"resuming {ckpt_path}: epoch {run.epoch}, batch {run.batch}, step {run.step}", file=sys.stderr)
    net = run.model
    if env.world > 1:
        net = nn.parallel.DistributedDataParallel(run.model, device_ids=[env.device.index]
                                                  if env.device.type == "cuda" else None)
    channel = build_channel(cfg).to(env.device)
    if cfg.init_from and run.step == 0:
        run.start_from(cfg.init_from, cfg)
    steps_per_epoch = len(train_set) // (cfg.batch_size * env.world)
    if steps_per_epoch < 1:
        raise ValueError(f"{len(train_set)} training images are fewer than one batch of "
                         f"{cfg.batch_size} x {env.world} processes")
    total_steps = cfg.epochs * steps_per_epoch
    hardware, t0, elapsed0 = hardware_summary(env.device), time.time(), run.elapsed_s

    def save() -> None:
        if env.main:
            run.save(ckpt_path, cfg, env, steps_per_epoch, elapsed0 + time.time() - t0, command, hardware)

    def out_of_time() -> bool:
        return cfg.max_minutes is not None and _all_ranks_agree(time.time() - t0 > 60.0 * cfg.max_minutes, env)

    last_save, result, interactive, timed_out = t0, {}, sys.stderr.isatty(), False
    while run.epoch < cfg.epochs and (cfg.max_steps is None or run.step < cfg.max_steps) and not timed_out:
        perm = np.random.default_rng([cfg.seed, run.epoch]).permutation(len(train_set))
        run.model.train()
        losses = []
        bar = _progress(range(run.batch, steps_per_epoch), f"epoch {run.epoch + 1}/{cfg.epochs}",
                        progress and env.main, interactive)
        for b in bar:
            x, snr = _training_batch(cfg, env, train_set, perm, b, run.step, run.model.snr_range_db)
            for group in run.optimizer.param_groups:
                group["lr"] = learning_rate(cfg, run.step, total_steps)
            losses.append(train_step(cfg, net, channel, run.optimizer, x, snr))
            run.ema.update(run.model, run.step)
            run.step, run.batch = run.step + 1, b + 1
            if hasattr(bar, "set_postfix") and run.step % 20 == 0:
                bar.set_postfix(loss=f"{np.mean(losses[-50:]):.5f}",
                                lr=f"{run.optimizer.param_groups[0]['lr']:.2e}", refresh=False)
            if time.time() - last_save > cfg.save_every_s:
                save()
                last_save = time.time()
            timed_out = out_of_time()
            if cfg.max_steps is not None and run.step >= cfg.max_steps or timed_out:
                break
        finished_epoch = run.batch >= steps_per_epoch
        if finished_epoch:
            run.epoch, run.batch = run.epoch + 1, 0
        if env.main:
            val = validate(run.ema.model, val_set, env.device, channel=channel)
            result = _epoch_result(run, val, losses, elapsed0 + time.time() - t0)
            if finished_epoch:
                run.history.append(result)
            save()
            last_save = time.time()
            if run.history:
                write_log(out / LOG, run.history)
                plot_log(out / LOG, out / "log.png", title=describe_channel(cfg))
            print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in result.items()),
                  file=sys.stderr)
    if env.world > 1:
        dist.barrier()
    return result


def _all_ranks_agree(flag: bool, env: "Dist") -> bool:
    """``flag`` of rank 0 on every rank (so that a wall-clock stop happens at the same step everywhere)."""
    if env.world == 1:
        return flag
    t = torch.tensor([float(flag)], device=env.device)
    dist.broadcast(t, src=0)
    return bool(t.item())


def _progress(iterable, desc: str, enabled: bool, interactive: bool):
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, mininterval=0.5 if interactive else 30.0, file=sys.stderr, leave=interactive)

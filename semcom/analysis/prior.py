"""The prior regulariser's effect on convergence (source-channel equilibrium paper).

The same short training run (a small CNN, fixed seeds) is repeated with and
without the regulariser that pulls the channel symbols toward a Gaussian
(:class:`phy.prior.PriorRegularizer`), for several seeds. Validation PSNR is
logged at the end of every epoch (an epoch is ``limit / batch_size`` steps), so
each run gives PSNR against step; the arms are compared by their mean and spread
over seeds and by the steps each needs to reach a common PSNR target.

Runs go to ``OUT/prior/<arm>-seed<k>`` and are resumed, so a rerun reuses
finished runs and only trains what is missing.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .common import pyplot, save_figure, write_csv


@dataclass(frozen=True)
class PriorExperiment:
    """A CPU-sized training run, repeated per arm and seed.

    :param prior_weight: the regulariser's weight in the regularised arm (the other arm: 0).
    :param snr_db: the validation SNR reported (one of the training log's 0, 10, 20 dB).
    """

    data: str | None
    out: str = "runs/analysis"
    arch: str = "cnn"
    model: dict = field(default_factory=lambda: {"channels": 32, "num_res": 1})
    ratio: str = "1/6"
    prior: str = "gaussian"
    prior_weight: float = 0.1
    seeds: tuple = (0, 1, 2)
    limit: int = 1600
    batch_size: int = 32
    epochs: int = 30
    val_limit: int = 200
    lr: float = 2e-3
    warmup_steps: int = 20
    snr_db: float = 10.0

    def __post_init__(self):
        if self.prior_weight <= 0:
            raise ValueError(f"--prior-weight must be > 0 (the regularised arm), got {self.prior_weight}")
        if not self.seeds:
            raise ValueError("need at least one seed")
        if self.snr_db not in (0.0, 10.0, 20.0):
            raise ValueError(f"the training log validates at 0, 10 and 20 dB, not {self.snr_db}")

    def arms(self) -> dict[str, float]:
        """Arm name -> regulariser weight."""
        return {"no-prior": 0.0, f"{self.prior}-prior-w{self.prior_weight:g}": self.prior_weight}


def run_dir(exp: PriorExperiment, arm: str, seed: int) -> Path:
    return Path(exp.out) / "prior" / f"{arm}-seed{seed}"


def train_config(exp: PriorExperiment, weight: float, seed: int, out: Path):
    from ..training import TrainConfig

    return TrainConfig(arch=exp.arch, model={"ratio": exp.ratio, **exp.model}, data=exp.data, out=str(out),
                       epochs=exp.epochs, batch_size=exp.batch_size, lr=exp.lr, warmup_steps=exp.warmup_steps,
                       limit=exp.limit, val_limit=exp.val_limit, seed=seed, prior_weight=weight, prior=exp.prior,
                       save_every_s=1e9)


def read_history(out: Path, snr_db: float) -> list[tuple[int, float]]:
    """(step, validation PSNR at ``snr_db``) per epoch from a run's ``log.csv``."""
    key = f"val_psnr_{snr_db:g}db"
    with open(out / "log.csv") as fh:
        return [(int(r["step"]), float(r[key])) for r in csv.DictReader(fh)]


def run_prior(exp: PriorExperiment, progress: bool = True) -> dict:
    """Train every (arm, seed) run that is not finished, then compare the arms.

    :returns: ``{"rows": [{arm, seed, step, psnr_db}], "summary": {arm: {...}}, "target_psnr_db"}``.
    """
    from ..training import train

    rows = []
    for arm, weight in exp.arms().items():
        for seed in exp.seeds:
            out = run_dir(exp, arm, seed)
            train(train_config(exp, weight, seed, out), resume=True, progress=progress)
            rows += [{"arm": arm, "seed": seed, "step": step, "psnr_db": round(p, 3)}
                     for step, p in read_history(out, exp.snr_db)]
    return {"rows": rows, **compare_arms(rows)}


def curves(rows: list[dict]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """arm -> (steps [S], PSNR [seeds, S]) for the steps every seed logged."""
    result = {}
    for arm in dict.fromkeys(r["arm"] for r in rows):
        per_seed = {}
        for r in rows:
            if r["arm"] == arm:
                per_seed.setdefault(r["seed"], {})[r["step"]] = r["psnr_db"]
        steps = sorted(set.intersection(*(set(v) for v in per_seed.values())))
        result[arm] = (np.array(steps), np.array([[v[s] for s in steps] for v in per_seed.values()]))
    return result


def steps_to_reach(steps: np.ndarray, psnr: np.ndarray, target: float) -> float | None:
    """First logged step whose PSNR is >= target (None if never)."""
    hit = np.nonzero(psnr >= target)[0]
    return int(steps[hit[0]]) if len(hit) else None


def compare_arms(rows: list[dict], margin_db: float = 0.5) -> dict:
    """Per arm: mean and spread of the final PSNR and of the area under the PSNR-vs-step
    curve, and the steps (mean over seeds) to reach a common target: the lowest final
    mean PSNR of all arms minus ``margin_db``."""
    c = curves(rows)
    target = min(p[:, -1].mean() for _, p in c.values()) - margin_db
    summary = {}
    for arm, (steps, p) in c.items():
        reach = [steps_to_reach(steps, seed_curve, target) for seed_curve in p]
        summary[arm] = {"final_psnr_db": round(float(p[:, -1].mean()), 3),
                        "final_psnr_std_db": round(float(p[:, -1].std()), 3),
                        "mean_psnr_db": round(float(p.mean()), 3),
                        "steps_to_target": None if None in reach else round(float(np.mean(reach)), 1),
                        "steps": steps.tolist(), "psnr_mean_db": np.round(p.mean(0), 3).tolist(),
                        "psnr_std_db": np.round(p.std(0), 3).tolist(), "seeds": len(p)}
    return {"summary": summary, "target_psnr_db": round(float(target), 3)}


def plot_prior(result: dict, snr_db: float, path: Path) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for arm, (steps, p) in curves(result["rows"]).items():
        mean, std = p.mean(0), p.std(0)
        line, = ax.plot(steps, mean, marker=".", label=f"{arm} ({len(p)} seeds)")
        ax.fill_between(steps, mean - std, mean + std, color=line.get_color(), alpha=0.25)
    ax.axhline(result["target_psnr_db"], color="grey", ls=":", label="target (steps_to_target)")
    ax.set(xlabel="training step", ylabel=f"validation PSNR at {snr_db:g} dB SNR (dB)",
           title="prior regulariser: convergence (mean ± std over seeds)")
    ax.grid(alpha=0.3)
    ax.legend()
    save_figure(fig, path)


def analyze_prior(exp: PriorExperiment, out: Path, progress: bool = True) -> dict:
    """Run the experiment, write ``prior.csv`` and ``prior.png`` under ``out``; returns the summary."""
    result = run_prior(exp, progress=progress)
    write_csv(out / "prior.csv", result["rows"])
    plot_prior(result, exp.snr_db, out / "prior.png")
    return {"analysis": "prior", "snr_db": exp.snr_db, "prior_weight": exp.prior_weight,
            "target_psnr_db": result["target_psnr_db"], "arms": result["summary"]}



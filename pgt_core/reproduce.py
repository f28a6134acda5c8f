"""Reproduce the PGT table on Crafter: prompt z0 vs PGT (1 and R rounds) vs BC-positive vs full fine-tuning,
LoRA and BitFit.

    python -m pgt_core.reproduce --rounds 3 --episodes 300 --eval-episodes 100 --out runs/repro
    python -m pgt_core.reproduce --quick --untrained --out /tmp/repro      # seconds; for tests

Protocol, per task (seed ranges are disjoint from the foundation's demonstrations at
100_000+ and its prompt clips at 1_000_000+):
- z0 = the goal encoder on the task's prompt clip (`Foundation.prompt_latent`).
- Tuning worlds: a pool of `--train-worlds` Crafter world seeds from 2_000_000. Round r rolls out
  `--episodes` episodes under the current z over that pool (fresh action sampling each round),
  builds pairs from task rewards (every ordered pair with R_i > R_j, capped; or a noisy
  synthetic teacher), and tunes z with DPO, starting from and referenced to the latent that
  collected the round's data.
- In distribution (ID): `--eval-episodes` held-out episodes on the tuning worlds, with an
  action-sampling seed no tuning round uses. Out of distribution (OOD): the same number of
  episodes on world seeds from 3_000_000, never seen in tuning.
  Every method is evaluated on exactly the same (world, sampling seed) episodes.
- Baselines on round-1 data (collected under z0): BC on positives only (z tuned to maximise
  the likelihood of preferred trajectories) and three weight-tuning baselines with DPO under the
  fixed z0 on the same `--ft-max-pairs` decisive pairs (capped because full fine-tuning runs the
  whole network per step): full fine-tuning (all weights), LoRA (rank `--lora-rank` adapters on
  the FiLM and head layers) and BitFit (biases only) (`pgt_core.peft`).
Results go to OUT/results.json after each task; tasks already there are skipped (resume).
"""
from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from pgt_core.atomic import write_atomic
from pgt_core.engines import get_rollout_engine
from pgt_core.logprob import FeatureCache
from pgt_core.pairs import Pair, SyntheticTeacher, pairs_from_rewards
from pgt_core.peft import PeftConfig
from pgt_core.policy.checkpoint import Foundation, load_foundation
from pgt_core.reproduce_table import markdown, methods, relative_improvement, summarize  # noqa: F401
from pgt_core.rollout import RolloutEngine, collect_rollouts
from pgt_core.seeds import REPRODUCE_OOD_WORLD_BASE, REPRODUCE_TRAIN_WORLD_BASE
from pgt_core.tasks import CRAFTER_TASKS, Task, get_task
from pgt_core.trajectory import Trajectory
from pgt_core.tuning import TuningError, finetune_policy, tune_latent

TRAIN_WORLD_BASE = REPRODUCE_TRAIN_WORLD_BASE  # 2_000_000; every world seed range: pgt_core.seeds
OOD_WORLD_BASE = REPRODUCE_OOD_WORLD_BASE  # 3_000_000
ROUND_SAMPLE_BASE = 1_000  # round r samples actions with sample_seed ROUND_SAMPLE_BASE + r
EVAL_SAMPLE_SEED = 777_777  # never used by a tuning round

# The knobs that change results; a resumed run must match them (batch size and device do not).
RESULT_KEYS = ("rounds", "episodes", "eval_episodes", "train_worlds", "max_pairs", "epochs", "lr", "beta",
               "batch_pairs", "ft_epochs", "ft_lr", "ft_batch_pairs", "ft_max_pairs", "lora_rank", "lora_lr",
               "bitfit_lr", "teacher_flip", "teacher_tie", "max_steps", "seed", "checkpoint")
WEIGHT_BASELINES = {"full_ft": "full", "lora": "lora", "bitfit": "bitfit"}  # result key -> PeftConfig.method
__all__ = ["ReproConfig", "TaskRun", "markdown", "methods", "relative_improvement", "reproduce", "summarize",
           "world_seeds"]


@dataclass
class ReproConfig:
    tasks: list[str] = field(default_factory=lambda: list(CRAFTER_TASKS))
    rounds: int = 3
    episodes: int = 300
    eval_episodes: int = 100
    train_worlds: int = 100
    max_pairs: int = 4000
    epochs: int = 50
    lr: float = 1e-2
    beta: float = 0.1
    batch_pairs: int | None = 512  # pairs per Adam step: ~7 steps per epoch at 4000 pairs (see README)
    ft_epochs: int = 2
    ft_lr: float = 1e-4
    ft_batch_pairs: int = 32
    ft_max_pairs: int = 512
    lora_rank: int = 8
    lora_lr: float = 1e-3  # adapters start at zero and see a tiny share of the weights: a larger step than ft_lr
    bitfit_lr: float = 1e-3
    teacher_flip: float | None = None  # None: pairs straight from rewards; else a SyntheticTeacher
    teacher_tie: float = 0.0
    max_steps: int | None = None  # override every task's time limit
    seed: int = 0
    checkpoint: str | None = None  # None: the shipped checkpoint; "untrained": Foundation.untrained()
    batch_size: int = 32
    device: str = "cpu"
    backend: str = "local"  # rollout engine: "local" or "ray" (pgt_core.engines)
    env_workers: int = 0  # local engine: step environments in this many processes

    @classmethod
    def quick(cls, **overrides: Any) -> "ReproConfig":
        """A tiny budget that exercises every step in seconds (tests, smoke runs)."""
        # collect_sapling: even an untrained policy succeeds in ~30% of 30-step episodes, so
        # every tuning path gets decisive pairs.
        base = dict(tasks=["collect_sapling"], rounds=2, episodes=12, eval_episodes=6, train_worlds=6,
                    max_pairs=40, epochs=3, ft_epochs=1, ft_batch_pairs=8, ft_max_pairs=16, max_steps=30,
                    batch_size=12)
        base.update(overrides)
        return cls(**base)

    def result_key(self) -> dict[str, Any]:
        d = asdict(self)
        return {k: d[k] for k in RESULT_KEYS}


def world_seeds(cfg: ReproConfig) -> tuple[list[int], list[int], list[int]]:
    """(tuning episodes' worlds, ID evaluation worlds, OOD evaluation worlds)."""
    pool = [TRAIN_WORLD_BASE + k for k in range(cfg.train_worlds)]
    train = [pool[k % len(pool)] for k in range(cfg.episodes)]
    id_eval = [pool[k % len(pool)] for k in range(cfg.eval_episodes)]
    ood = [OOD_WORLD_BASE + k for k in range(cfg.eval_episodes)]
    return train, id_eval, ood


def make_pairs(rewards: Sequence[float], cfg: ReproConfig, round_index: int) -> list[Pair]:
    rng = np.random.default_rng([cfg.seed, round_index])
    if cfg.teacher_flip is None:
        return pairs_from_rewards(rewards, cfg.max_pairs, rng)
    teacher = SyntheticTeacher(cfg.teacher_flip, cfg.teacher_tie, seed=int(rng.integers(2**31)))
    return teacher.sample_pairs(rewards, cfg.max_pairs)


def _log(msg: str) -> None:
    print(f"[repro {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class TaskRun:
    """Everything for one task: rollouts, tuning rounds, baselines, evaluations."""

    def __init__(self, foundation: Foundation, task: Task, cfg: ReproConfig, engine: RolloutEngine) -> None:
        self.f, self.task, self.cfg, self.engine = foundation, task, cfg, engine
        self.train_seeds, self.id_seeds, self.ood_seeds = world_seeds(cfg)
        self.outcomes: dict[str, dict[str, list[bool]]] = {}

    def rollouts(self, z: torch.Tensor, seeds: list[int], sample_seed: int, keep_frames: bool,
                 policy: torch.nn.Module | None = None) -> list[Trajectory]:
        return self.engine(policy or self.f.policy, z, self.task, seeds, batch_size=self.cfg.batch_size,
                           device=self.cfg.device, sample_seed=sample_seed, keep_frames=keep_frames)

    def evaluate(self, method: str, z: torch.Tensor, policy: torch.nn.Module | None = None) -> dict[str, float]:
        """Success rate on the ID and OOD evaluation episodes (no frames kept); every episode's outcome is kept
        in `self.outcomes[method]` for the paired tests of the report (same episodes for every method)."""
        out, self.outcomes[method] = {}, {}
        for split, seeds in (("id", self.id_seeds), ("ood", self.ood_seeds)):
            trajs = self.rollouts(z, seeds, EVAL_SAMPLE_SEED, keep_frames=False, policy=policy)
            self.outcomes[method][split] = [bool(t.meta["success"]) for t in trajs]
            out[split] = float(np.mean(self.outcomes[method][split]))
        return out

    def tune(self, trajs: list[Trajectory], pairs: list[Pair], z: torch.Tensor, cache: FeatureCache,
             loss: str = "dpo") -> tuple[torch.Tensor, dict[str, Any]]:
        """Tune z; on TuningError (e.g. no decisive pairs) keep z and say so."""
        c = self.cfg
        try:
            res = tune_latent(self.f.policy, trajs, pairs, z, loss=loss, beta=c.beta, lr=c.lr, epochs=c.epochs,
                              batch_pairs=c.batch_pairs, seed=c.seed, cached=cache, device=c.device)
        except TuningError as exc:
            _log(f"{self.task.name}: {loss} tuning skipped: {exc}")
            return z, {"skipped": str(exc)}
        info = {"best_epoch": res.best_epoch, "best_val_loss": res.best_val_loss, "n_train": res.n_train,
                "n_val": res.n_val, "seconds": round(res.seconds, 2),
                "val_accuracy": res.history[res.best_epoch].val_metrics.get("accuracy"),
                "z_shift": float((res.z - z.cpu()).norm())}
        return res.z, info

    def finetune(self, trajs: list[Trajectory], pairs: list[Pair], z0: torch.Tensor, cache: FeatureCache,
                 method: str = "full") -> tuple[torch.nn.Module | None, dict[str, Any]]:
        """One weight-tuning baseline (`pgt_core.peft` method) on the same capped decisive pairs."""
        c = self.cfg
        lr = {"full": c.ft_lr, "lora": c.lora_lr, "bitfit": c.bitfit_lr}[method]
        decisive = [p for p in pairs if p.decisive]
        if len(decisive) > c.ft_max_pairs:
            keep = np.sort(np.random.default_rng([c.seed, 99]).choice(len(decisive), c.ft_max_pairs, replace=False))
            decisive = [decisive[k] for k in keep]
        try:
            res = finetune_policy(self.f.policy, trajs, decisive, z0, beta=c.beta, lr=lr, epochs=c.ft_epochs,
                                  batch_pairs=c.ft_batch_pairs, seed=c.seed, ref_cache=cache, device=c.device,
                                  peft=PeftConfig(method, rank=c.lora_rank))
        except TuningError as exc:
            _log(f"{self.task.name}: {method} fine-tuning skipped: {exc}")
            return None, {"skipped": str(exc)}
        return res.policy, {"best_epoch": res.best_epoch, "best_val_loss": res.best_val_loss,
                            "n_train": res.n_train, "seconds": round(res.seconds, 2), "trainable": res.trainable}

    def run(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        c, name = self.cfg, self.task.name
        t0 = time.perf_counter()
        z0 = self.f.prompt_latent(name)
        success = {"z0": self.evaluate("z0", z0)}
        _log(f"{name}: z0 success {success['z0']}")
        latents = {"z0": z0}
        rounds, baselines = [], {}
        z = z0
        for r in range(1, c.rounds + 1):
            trajs = self.rollouts(z, self.train_seeds, ROUND_SAMPLE_BASE + r, keep_frames=True)
            rewards = [float(t.meta["reward"]) for t in trajs]
            pairs = make_pairs(rewards, c, r)
            cache = FeatureCache.build(self.f.policy, trajs, device=c.device)
            if r == 1:  # baselines on the prompt's own data
                z_bc, baselines["bc_positive"] = self.tune(trajs, pairs, z0, cache, loss="bc_positive")
                latents["bc_positive"] = z_bc
                success["bc_positive"] = self.evaluate("bc_positive", z_bc)
                for key, method in WEIGHT_BASELINES.items():
                    ft_policy, baselines[key] = self.finetune(trajs, pairs, z0, cache, method)
                    if ft_policy is not None:
                        success[key] = self.evaluate(key, z0, ft_policy)
                    else:  # skipped: the baseline is the untouched policy
                        success[key], self.outcomes[key] = dict(success["z0"]), dict(self.outcomes["z0"])
                    del ft_policy
            z, info = self.tune(trajs, pairs, z, cache)
            latents[f"pgt_{r}"] = z
            success[f"pgt_{r}"] = self.evaluate(f"pgt_{r}", z)
            rounds.append({"round": r, "data_success": float(np.mean([t.meta["success"] for t in trajs])),
                           "data_reward": float(np.mean(rewards)), "pairs": len(pairs),
                           "decisive_pairs": sum(p.decisive for p in pairs), **info})
            _log(f"{name}: round {r}: data success {rounds[-1]['data_success']:.2f}, "
                 f"{len(pairs)} pairs, PGT success {success[f'pgt_{r}']}")
            del trajs, cache
        row = {"task": name, "max_steps": self.task.max_steps, "success": success, "outcomes": self.outcomes,
               "rounds": rounds,
               "baselines": baselines, "seconds": round(time.perf_counter() - t0, 1)}
        return row, latents


# -- driver --------------------------------------------------------------------------------------------
def load_results(path: Path, cfg: ReproConfig) -> dict[str, Any]:
    """Existing results for resuming; refuses to mix runs made with different settings."""
    if not path.exists():
        return {"config": cfg.result_key(), "tasks": {}}
    data = json.loads(path.read_text())
    if data.get("config") != cfg.result_key():
        diff = {k: (data.get("config", {}).get(k), v) for k, v in cfg.result_key().items()
                if data.get("config", {}).get(k) != v}
        raise SystemExit(f"{path} was made with other settings {diff} (old, new); use another --out or delete it")
    return data


def _write_json(path: Path, data: dict[str, Any]) -> None:
    write_atomic(path, json.dumps(data, indent=1))


def load_bundle(cfg: ReproConfig) -> Foundation:
    if cfg.checkpoint == "untrained":
        return Foundation.untrained(tasks=list(cfg.tasks))
    return load_foundation(cfg.checkpoint)


def rollout_engine(cfg: ReproConfig) -> RolloutEngine:
    if cfg.backend == "local":
        return functools.partial(collect_rollouts, env_workers=cfg.env_workers) if cfg.env_workers > 1 \
            else collect_rollouts
    return get_rollout_engine(cfg.backend)


def reproduce(cfg: ReproConfig, out: str | Path, foundation: Foundation | None = None,
              engine: RolloutEngine | None = None) -> dict[str, Any]:
    """Run (or resume) the reproduction; returns {config, tasks, summary, table} and writes OUT/results.json."""
    engine = engine or rollout_engine(cfg)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "results.json"
    data = load_results(path, cfg)
    foundation = foundation or load_bundle(cfg)
    foundation.policy.to(cfg.device)
    for name in cfg.tasks:
        if name in data["tasks"]:
            _log(f"{name}: already in {path}, skipped")
            continue
        task = get_task(name)
        if cfg.max_steps is not None:
            task = replace(task, max_steps=cfg.max_steps)
        row, latents = TaskRun(foundation, task, cfg, engine).run()
        (out / "latents").mkdir(exist_ok=True)
        torch.save({k: v.cpu() for k, v in latents.items()}, out / "latents" / f"{name}.pt")
        data["tasks"][name] = row
        _write_json(path, data)
        _log(f"{name}: done in {row['seconds']} s")
    rows = [data["tasks"][n] for n in cfg.tasks if n in data["tasks"]]
    data["summary"] = summarize(rows, cfg.rounds)
    data["table"] = markdown(rows, cfg.rounds, cfg.eval_episodes)
    _write_json(path, data)
    (out / "table.md").write_text(data["table"] + "\n")
    return data


def parse_args(argv: Sequence[str] | None = None) -> tuple[ReproConfig, str]:
    d = ReproConfig()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", nargs="+", default=None, help=f"default: all {len(d.tasks)} Crafter tasks")
    ap.add_argument("--rounds", type=int, default=None)
    ap.add_argument("--episodes", type=int, default=None, help="rollouts per task per round")
    ap.add_argument("--eval-episodes", type=int, default=None)
    ap.add_argument("--train-worlds", type=int, default=None, help="world seeds in the tuning pool")
    ap.add_argument("--max-pairs", type=int, default=None)
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--lr", type=float, default=None)
    ap.add_argument("--beta", type=float, default=None)
    ap.add_argument("--batch-pairs", type=int, default=None,
                    help=f"pairs per Adam step (default {d.batch_pairs}; 0 = all)")
    ap.add_argument("--ft-epochs", type=int, default=None)
    ap.add_argument("--ft-lr", type=float, default=None)
    ap.add_argument("--ft-batch-pairs", type=int, default=None)
    ap.add_argument("--ft-max-pairs", type=int, default=None, help="decisive pairs for the weight-tuning baselines")
    ap.add_argument("--lora-rank", type=int, default=None)
    ap.add_argument("--lora-lr", type=float, default=None)
    ap.add_argument("--bitfit-lr", type=float, default=None)
    ap.add_argument("--teacher-flip", type=float, default=None, help="label with a noisy synthetic teacher")
    ap.add_argument("--teacher-tie", type=float, default=None)
    ap.add_argument("--max-steps", type=int, default=None, help="override every task's time limit")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--checkpoint", default=None, help="foundation bundle (default: the shipped one)")
    ap.add_argument("--untrained", action="store_true", help="use Foundation.untrained() (tests only)")
    ap.add_argument("--batch-size", type=int, default=None, help="environments stepped together")
    ap.add_argument("--device", default=None)
    ap.add_argument("--backend", default=None, help="rollout engine: local (default) or ray")
    ap.add_argument("--env-workers", type=int, default=None, help="local engine: environment processes")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    ap.add_argument("--quick", action="store_true", help="tiny budget: every step in seconds")
    ap.add_argument("--out", default="runs/repro")
    a = ap.parse_args(argv)
    overrides = {k: v for k, v in vars(a).items()
                 if v is not None and k not in ("quick", "out", "untrained", "threads")}
    if a.untrained:
        overrides["checkpoint"] = "untrained"
    if a.threads:
        torch.set_num_threads(a.threads)
    if overrides.get("batch_pairs") == 0:
        overrides["batch_pairs"] = None
    cfg = ReproConfig.quick(**overrides) if a.quick else ReproConfig(**overrides)
    return cfg, a.out


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    cfg, out = parse_args(argv)
    data = reproduce(cfg, out)
    print(data["table"])
    return data


if __name__ == "__main__":
    main()

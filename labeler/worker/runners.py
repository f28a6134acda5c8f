"""What a worker does for each job kind: functions from (spec, inputs) to a result plus files.

Why no HTTP and no database here: the worker fetches inputs and hands files over; these
functions only call pgt_core. That keeps them testable in-process and identical whether the
worker runs beside the app or on a GPU machine elsewhere.

Job kinds (the spec is the job's payload, built by labeler.domain.round_jobs):
- rollout: play `seeds` under latent `z`; write `<id>.npz` per episode (the app makes videos when viewed).
- tune: DPO (or IPO / BC) on the labelled pairs over `trajectories`, starting at and
  referenced to `z0`; result holds the new latent and the per-epoch metrics.
- evaluate: success rate of several latents on the same fixed seeds (outcome-only rollouts),
  plus whole episodes on the first seeds (all by default) for the side-by-side review.

Files are written atomically (temp file + rename) into `out_dir`, so a worker killed
mid-write never leaves half an artifact that a retry would then upload.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Protocol, Sequence

import numpy as np
import torch

from labeler.domain.tasks import task_from_row
from pgt_core.pairs import Pair
from pgt_core.tasks import Task
from pgt_core.trajectory import Trajectory

ROLLOUT_CHUNK = 64  # episodes held in memory at once (frames of 300 episodes would be ~400 MB)


class Context(Protocol):
    """How a runner reports back. `progress(None, msg)` keeps the fraction; it raises when the job
    must stop (taken away, or the worker is stopping), which is how a runner gets interrupted."""

    def progress(self, fraction: float | None, message: str) -> None: ...

    def log(self, message: str) -> None: ...


class Silent:
    """A context that reports nowhere and never interrupts: runners called directly (benchmarks, tests)."""

    def progress(self, fraction: float | None, message: str) -> None:
        pass

    def log(self, message: str) -> None:
        pass


@dataclass
class Outcome:
    result: dict[str, Any]
    files: list[Path] = field(default_factory=list)  # artifacts in out_dir to hand over


def pick_device(preference: str = "auto") -> str:
    """'cuda' when torch sees a GPU (or when asked), else 'cpu'."""
    if preference == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if preference.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"device {preference!r} requested but torch sees no GPU")
    return preference


def task_of(spec: Mapping[str, Any]) -> Task:
    return task_from_row(spec["task"])


def latent(values: Sequence[float]) -> torch.Tensor:
    z = torch.tensor(list(values), dtype=torch.float32)
    if z.dim() != 1 or not torch.isfinite(z).all():
        raise ValueError("a latent must be a finite 1-D vector")
    return z


def _rollout_engine(env_workers: int = 0) -> Callable[..., list[Trajectory]]:
    """The configured engine; the local one steps its environments in `env_workers` processes (0: in this one),
    so the policy runs on one core while Crafter steps on the others (trajectories are the same either way)."""
    from pgt_core.engines import get_rollout_engine, rollout_backend_name

    engine = get_rollout_engine()
    if env_workers > 1 and rollout_backend_name() == "local":
        return functools.partial(engine, env_workers=env_workers)
    return engine


def _write_episode(traj: Trajectory, traj_id: str, out_dir: Path) -> list[Path]:
    """The episode's arrays only: the app makes its video when someone first asks for it."""
    traj.meta = {**traj.meta, "id": traj_id}
    return [traj.save(out_dir / f"{traj_id}.npz")]


def episode_id(prefix: str, seed: int) -> str:
    return f"{prefix}-s{int(seed)}"


# -- rollout ------------------------------------------------------------------------------------
def run_rollout(spec: Mapping[str, Any], policy: torch.nn.Module, out_dir: Path, device: str, ctx: Context,
                env_workers: int = 0) -> Outcome:
    task, z, seeds = task_of(spec), latent(spec["z"]), [int(s) for s in spec["seeds"]]
    engine, out_dir = _rollout_engine(env_workers), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    episodes, files = [], []
    ctx.log(f"rolling out {len(seeds)} episodes of {task.name} (max {task.max_steps} steps) on {device}")
    for start in range(0, len(seeds), ROLLOUT_CHUNK):
        chunk = seeds[start:start + ROLLOUT_CHUNK]

        def on_episode(done: int, total: int, _base: int = start) -> None:
            ctx.progress(0.9 * (_base + done) / len(seeds), f"episode {_base + done}/{len(seeds)}")

        trajs = engine(policy, z, task, chunk, batch_size=int(spec.get("batch_size", 32)), device=device,
                       sample_seed=int(spec.get("sample_seed", 0)), progress=on_episode)
        implicit = _implicit_rewards(spec, policy, trajs, z, device)
        for k, traj in enumerate(trajs):
            tid = episode_id(spec["id_prefix"], traj.seed)
            files += _write_episode(traj, tid, out_dir)
            episodes.append({"id": tid, "seed": traj.seed, "reward": task.reward(traj), "success": task.success(traj)})
            if implicit is not None:
                episodes[-1]["implicit_reward"] = float(implicit[k])
            ctx.progress(0.9 * (start + len(chunk)) / len(seeds) if k == len(trajs) - 1 else None,
                         f"saved {start + k + 1}/{len(seeds)} episodes")
    rate = float(np.mean([e["success"] for e in episodes])) if episodes else 0.0
    ctx.log(f"{len(episodes)} episodes, success rate {rate:.0%}")
    return Outcome({"trajectories": episodes, "success_rate": rate, "device": device}, files)


def _implicit_rewards(spec: Mapping[str, Any], policy: torch.nn.Module, trajs: Sequence[Trajectory],
                      z: torch.Tensor, device: str) -> np.ndarray | None:
    """beta * (log pi(tau | z) - log pi(tau | z0)) per episode when the spec has z0 (rounds that select actively,
    and a candidate's episodes, which the next round may select from). The frame features are computed once
    for both latents where the policy allows it: about 5% of a 150-step rollout's time instead of 20%."""
    if spec.get("z0") is None or not trajs:
        return None
    from pgt_core.active import implicit_rewards
    from pgt_core.logprob import FeatureCache

    with torch.no_grad():
        cache = FeatureCache.build(policy, trajs, device=device) if getattr(policy, "z_enters_late", False) else None
        return implicit_rewards(policy, trajs, z.to(device), latent(spec["z0"]).to(device),
                                beta=float(spec.get("beta", 0.1)), cache=cache)


# -- tune ---------------------------------------------------------------------------------------
def pairs_from_labels(labels: Sequence[Sequence[Any]]) -> list[Pair]:
    """[[left_traj, right_traj, choice(, group, weight)], ...] -> Pair records (skips dropped).

    The app sends what people said by its one rule (labeler.domain.preferences): one resolved preference
    per pair, and the pairs graded episodes and rankings imply, with the group and weight that make one
    answer one unit. Ties and both_bad are kept: pgt_core leaves them out of DPO itself.
    """
    return [Pair(e[0], e[1], e[2], *(e[3:5])) for e in labels if e[2] != "skip"]


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def run_tune(spec: Mapping[str, Any], policy: torch.nn.Module, trajectories: Mapping[str, Trajectory], device: str,
             ctx: Context) -> Outcome:
    from pgt_core.tuning import tune_latent

    hyper = dict(spec.get("hyper", {}))
    pairs = pairs_from_labels(spec["labels"])
    ids = sorted({p.i for p in pairs} | {p.j for p in pairs})
    missing = [i for i in ids if i not in trajectories]
    if missing:
        raise ValueError(f"trajectories missing for {len(missing)} labelled pairs, e.g. {missing[:3]}")
    trajs = []
    for tid in ids:
        t = trajectories[tid]
        t.meta = {**t.meta, "id": tid}
        trajs.append(t)
    decisive = sum(p.decisive for p in pairs)
    ctx.log(f"tuning on {len(pairs)} labels ({decisive} decisive) over {len(trajs)} trajectories on {device}; "
            f"loss={hyper.get('loss', 'dpo')} beta={hyper.get('beta', 0.1)} lr={hyper.get('lr', 1e-2)} "
            f"epochs={hyper.get('epochs', 50)}")
    epochs = int(hyper.get("epochs", 50))

    def on_epoch(done: int, total: int) -> None:
        ctx.progress(done / max(1, total), f"epoch {done}/{total}")

    res = tune_latent(policy, trajs, pairs, latent(spec["z0"]), loss=hyper.get("loss", "dpo"),
                      beta=float(hyper.get("beta", 0.1)), lr=float(hyper.get("lr", 1e-2)), epochs=epochs,
                      val_fraction=float(hyper.get("val_fraction", 0.0)), batch_pairs=hyper.get("batch_pairs"),
                      seed=int(hyper.get("seed", 0)), device=device, progress=on_epoch,
                      split_by=hyper.get("split_by", "group"))
    history = [{"epoch": h.epoch, "train_loss": _finite(h.train_loss), "val_loss": _finite(h.val_loss),
                "train": {k: _finite(v) for k, v in h.train_metrics.items()},
                "val": {k: _finite(v) for k, v in h.val_metrics.items()}} for h in res.history]
    best = history[res.best_epoch]
    for h in history[1:]:
        ctx.log(f"epoch {h['epoch']}: train loss {h['train_loss']:.4f}"
                + (f", held-out loss {h['val_loss']:.4f}" if h["val_loss"] is not None else "")
                + (f", accuracy {h['train'].get('accuracy', 0):.2f}" if "accuracy" in h["train"] else ""))
    ctx.log(res.diagnosis)
    return Outcome({"z": [float(v) for v in res.z.tolist()], "best_epoch": res.best_epoch, "epochs": res.epochs,
                    "best_epoch_kind": res.best_epoch_kind, "diagnosis": res.diagnosis,
                    "drift": res.drift.to_dict() if res.drift else None,
                    "final_drift": res.final_drift.to_dict() if res.final_drift else None,
                    "best_val_loss": _finite(res.best_val_loss), "loss": res.loss, "n_train": res.n_train,
                    "n_val": res.n_val, "split_by": res.split_by, "n_labels": len(pairs), "n_decisive": decisive,
                    "seconds": res.seconds, "history": history, "best": best, "device": device})


# -- evaluate -----------------------------------------------------------------------------------
def run_evaluate(spec: Mapping[str, Any], policy: torch.nn.Module, out_dir: Path, device: str,
                 ctx: Context, env_workers: int = 0) -> Outcome:
    """Every latent on the same seeds and sample stream, so differences are the latents' alone."""
    task, seeds = task_of(spec), [int(s) for s in spec["seeds"]]
    engine, out_dir = _rollout_engine(env_workers), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    review = spec.get("review", {})
    review_seeds = [s for s in seeds[:int(review.get("episodes", 0))]]
    review_roles = set(review.get("roles", []))
    kwargs = {"batch_size": int(spec.get("batch_size", 32)), "device": device,
              "sample_seed": int(spec.get("sample_seed", 0))}
    latents = spec["latents"]
    rates, kept, files = [], [], []
    for n, item in enumerate(latents):
        z = latent(item["z"])
        framed = review_seeds if item["role"] in review_roles else []
        rest = [s for s in seeds if s not in set(framed)]

        def on_episode(done: int, total: int, _n: int = n, _off: int = 0, _role: str = item["role"]) -> None:
            ctx.progress((_n + (_off + done) / len(seeds)) / len(latents),
                         f"{_role} latent: episode {_off + done}/{len(seeds)}")

        by_seed: dict[int, Trajectory] = {}
        if framed:
            for traj in engine(policy, z, task, framed, progress=on_episode, keep_frames=True, **kwargs):
                by_seed[traj.seed] = traj
                tag = item.get("tag") or f"{item['role'][0]}{item['id']}"
                tid = episode_id(f"{review['id_prefix']}{tag}", traj.seed)
                files += _write_episode(traj, tid, out_dir)
                kept.append({"id": tid, "seed": traj.seed, "role": item["role"], "latent_id": item["id"]})
        if rest:
            def on_rest(done: int, total: int, _n: int = n, _k: int = len(framed)) -> None:
                on_episode(done, total, _n, _k)

            for traj in engine(policy, z, task, rest, progress=on_rest, keep_frames=False, **kwargs):
                by_seed[traj.seed] = traj
        success = [bool(task.success(by_seed[s])) for s in seeds]
        rewards = [float(task.reward(by_seed[s])) for s in seeds]
        rates.append({"latent_id": item["id"], "role": item["role"], "success_rate": float(np.mean(success)),
                      "mean_reward": float(np.mean(rewards)), "success": success})
        ctx.log(f"{item['role']} latent {item['id']}: success {np.mean(success):.0%} on {len(seeds)} seeds")
    return Outcome({"seeds": seeds, "rates": rates, "review": kept, "device": device}, files)

"""Rollouts on Ray: the local engine (`pgt_core.rollout.collect_rollouts`) run on shards of the seeds.

Why sharding the local engine instead of a second implementation: an episode is a pure
function of (world seed, sample_seed, occurrence of that seed in the list, z), so running
the *same* code on any split of the seeds gives the same trajectories as one local call.
The one subtlety is the occurrence counter (the k-th repeat of a seed gets its own action
stream): all occurrences of a seed go to the same shard, in their original order, so
every episode sees the occurrence number it would have seen locally.

The policy travels once per call through Ray's object store (`ray.put`); each task
deserialises it, rolls out its shard with the local engine and returns trajectories.
Ray starts lazily on first use: a local instance (`ray.init(num_cpus=...)`) or the cluster
at `PGT_RAY_ADDRESS` / `address=`.

Install with `pip install '.[ray]'`; importing this module never needs Ray.
"""
from __future__ import annotations

import os
from typing import Any, Callable, Sequence

import torch

from pgt_core.envs.base import GoalEnv
from pgt_core.rollout import Progress, collect_rollouts, default_env_factory
from pgt_core.tasks import Task
from pgt_core.trajectory import Trajectory

RAY_HINT = "the Ray rollout backend needs Ray: pip install '.[ray]' (or pip install 'ray[default]')"


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise ImportError(RAY_HINT) from exc
    return ray


def shard_seeds(seeds: Sequence[int], n_shards: int) -> list[list[int]]:
    """Split positions 0..len(seeds)-1 into at most `n_shards` lists of positions.

    Every occurrence of a seed lands in the same shard, in original order; shards are
    balanced by episode count (largest seed groups first, each to the lightest shard).
    """
    groups: dict[int, list[int]] = {}
    for pos, s in enumerate(seeds):
        groups.setdefault(int(s), []).append(pos)
    n_shards = max(1, min(int(n_shards), len(groups)))
    shards: list[list[int]] = [[] for _ in range(n_shards)]
    for positions in sorted(groups.values(), key=lambda g: (-len(g), g[0])):
        min(shards, key=len).extend(positions)
    return [sorted(s) for s in shards if s]


def _rollout_shard(policy: torch.nn.Module, z: torch.Tensor, task: Task, seeds: list[int], kwargs: dict[str, Any],
                   num_threads: int) -> list[Trajectory]:
    """What one Ray task runs: the local engine on one shard (z already sliced to the shard)."""
    torch.set_num_threads(num_threads)  # one task per CPU: avoid oversubscribing the node
    return collect_rollouts(policy, z, task, seeds, **kwargs)


class RayRolloutEngine:
    """A `RolloutEngine` (same call signature as `collect_rollouts`) that runs shards as Ray tasks.

    address: a Ray cluster address (default: env PGT_RAY_ADDRESS, else a local Ray).
    num_cpus: CPUs of a *local* Ray started here (default: env PGT_RAY_NUM_CPUS, else all).
    shards: how many tasks per call (default: the cluster's CPU count).
    num_gpus_per_task: set with device="cuda" so Ray places tasks on GPU nodes.
    """

    def __init__(self, address: str | None = None, num_cpus: int | None = None, shards: int | None = None,
                 num_gpus_per_task: float = 0.0, threads_per_task: int = 1) -> None:
        self.address = address or os.environ.get("PGT_RAY_ADDRESS") or None
        env_cpus = os.environ.get("PGT_RAY_NUM_CPUS")
        self.num_cpus = num_cpus if num_cpus is not None else (int(env_cpus) if env_cpus else None)
        self.shards = shards
        self.num_gpus_per_task = float(num_gpus_per_task)
        self.threads_per_task = int(threads_per_task)
        self._remote: Any = None

    def _ensure_ray(self) -> Any:
        ray = _ray()
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"ignore_reinit_error": True, "log_to_driver": False,
                                      "include_dashboard": False}
            if self.address:
                kwargs["address"] = self.address
            elif self.num_cpus is not None:
                kwargs["num_cpus"] = self.num_cpus
            ray.init(**kwargs)
        if self._remote is None:
            self._remote = ray.remote(num_cpus=self.threads_per_task, num_gpus=self.num_gpus_per_task)(_rollout_shard)
        return ray

    def __call__(self, policy: torch.nn.Module, z: torch.Tensor, task: Task, seeds: Sequence[int], *,
                 batch_size: int = 32, device: str = "cpu", greedy: bool = False, sample_seed: int = 0,
                 progress: Progress | None = None, keep_frames: bool = True,
                 env_factory: Callable[[], GoalEnv] = default_env_factory, env_workers: int = 0) -> list[Trajectory]:
        """`collect_rollouts`' signature; env_workers is accepted for compatibility and ignored (each
        Ray task steps its own environments in-process: Ray already spreads the work over CPUs)."""
        seeds = [int(s) for s in seeds]
        if not seeds:
            return []
        z = z.detach().float().cpu()
        if z.dim() == 2 and z.shape[0] != len(seeds):
            raise ValueError(f"z must be [latent] or [len(seeds), latent], got {tuple(z.shape)}")
        ray = self._ensure_ray()
        n_shards = self.shards or max(1, int(ray.cluster_resources().get("CPU", 1) // self.threads_per_task))
        shards = shard_seeds(seeds, n_shards)
        policy_ref = ray.put(policy)  # shipped once per call, shared by every task
        kwargs = {"batch_size": batch_size, "device": device, "greedy": greedy, "sample_seed": sample_seed,
                  "keep_frames": keep_frames, "env_factory": env_factory}
        pending = {}
        for positions in shards:
            shard_z = z[positions] if z.dim() == 2 else z
            ref = self._remote.remote(policy_ref, shard_z, task, [seeds[p] for p in positions], kwargs,
                                      self.threads_per_task)
            pending[ref] = positions
        out: list[Trajectory | None] = [None] * len(seeds)
        done = 0
        waiting = list(pending)
        while waiting:
            ready, waiting = ray.wait(waiting, num_returns=1)
            for ref in ready:
                positions = pending[ref]
                for pos, traj in zip(positions, ray.get(ref), strict=True):
                    out[pos] = traj
                done += len(positions)
                if progress is not None:
                    progress(done, len(seeds))
        return out  # type: ignore[return-value]


def shutdown() -> None:
    """Stop a Ray instance this process started (no-op without Ray)."""
    try:
        import ray
    except ImportError:
        return
    if ray.is_initialized():
        ray.shutdown()

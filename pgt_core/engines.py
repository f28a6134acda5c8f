"""Pick the rollout backend by name or setting: "local" (in-process, the default) or "ray".

Why a selector: the app, the worker, evaluation and benchmarks should not each know about
Ray. They call `get_rollout_engine()` and get a callable with `collect_rollouts`'
signature; a lab that outgrows one machine sets `PGT_ROLLOUT_BACKEND=ray` (and
`PGT_RAY_ADDRESS` for a cluster) without touching code. Both backends return the same
trajectories for the same seeds.
"""
from __future__ import annotations

import os
from typing import Any

from pgt_core.rollout import RolloutEngine, collect_rollouts

BACKENDS = ("local", "ray")
ENV_VAR = "PGT_ROLLOUT_BACKEND"
_ray_engines: dict[tuple, Any] = {}


def rollout_backend_name(name: str | None = None) -> str:
    """The backend in effect: `name` if given, else $PGT_ROLLOUT_BACKEND, else "local"."""
    chosen = (name or os.environ.get(ENV_VAR) or "local").strip().lower()
    if chosen not in BACKENDS:
        raise ValueError(f"unknown rollout backend {chosen!r}; expected one of {', '.join(BACKENDS)} "
                         f"(argument or ${ENV_VAR})")
    return chosen


def get_rollout_engine(name: str | None = None, **ray_options: Any) -> RolloutEngine:
    """The rollout engine for `name` ("local" | "ray"; default from $PGT_ROLLOUT_BACKEND).

    ray_options go to `RayRolloutEngine` (address, num_cpus, shards, num_gpus_per_task);
    one engine per distinct option set is kept, so Ray starts once per process.
    """
    if rollout_backend_name(name) == "local":
        return collect_rollouts
    from pgt_core.ray_backend import RayRolloutEngine

    key = tuple(sorted(ray_options.items()))
    if key not in _ray_engines:
        _ray_engines[key] = RayRolloutEngine(**ray_options)
    return _ray_engines[key]

"""Put a `Trajectory` into the app: arrays into the artifact directory, metadata into the store.

Reward and success are computed here with the task's own definition (pgt_core.tasks.Task),
so every trajectory in the store is scored the same way whoever rolled it out.
"""
from __future__ import annotations

from typing import Any

from labeler.artifacts import Artifacts
from labeler.errors import Invalid
from labeler.store import Store, check_id
from pgt_core.tasks import Task
from pgt_core.trajectory import Trajectory


def task_spec(task_row: dict[str, Any]) -> Task:
    return Task(task_row["name"], task_row["achievement"], int(task_row["max_steps"]), task_row.get("description", ""))


def _add(store: Store, traj: Trajectory, traj_id: str, task_row: dict[str, Any], artifact: str,
         round_id: int | None, latent_id: int | None, meta: dict[str, Any]) -> dict[str, Any]:
    spec = task_spec(task_row)
    return store.add_trajectory(
        traj_id, task_row["id"], seed=traj.seed, length=traj.length, reward=spec.reward(traj),
        success=spec.success(traj), events=traj.events, artifact=artifact, round_id=round_id, latent_id=latent_id,
        meta=meta)


def ingest_trajectory(
    store: Store,
    artifacts: Artifacts,
    traj: Trajectory,
    traj_id: str,
    task_row: dict[str, Any],
    round_id: int | None = None,
    latent_id: int | None = None,
) -> dict[str, Any]:
    check_id(traj_id, "trajectory id")
    name = artifacts.trajectory_name(traj_id)
    traj.save(artifacts.path(name))
    return _add(store, traj, traj_id, task_row, name, round_id, latent_id, traj.meta)


def load_trajectory(store: Store, artifacts: Artifacts, traj_id: str) -> Trajectory:
    return Trajectory.load(artifacts.existing(store.get_trajectory(traj_id)["artifact"]))


def register_artifact(
    store: Store,
    artifacts: Artifacts,
    traj_id: str,
    task_row: dict[str, Any],
    round_id: int | None = None,
    latent_id: int | None = None,
    meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Register a trajectory a worker already uploaded as `<traj_id>.npz`, scored with the task here.

    `meta` is merged over the file's own metadata (e.g. what the trajectory was rolled out for).
    """
    check_id(traj_id, "trajectory id")
    name = artifacts.trajectory_name(traj_id)
    try:
        traj = Trajectory.load(artifacts.existing(name))
    except (ValueError, KeyError, OSError) as exc:
        raise Invalid(f"artifact {name!r} is not a readable trajectory: {exc}") from None
    return _add(store, traj, traj_id, task_row, name, round_id, latent_id, {**traj.meta, **(meta or {})})

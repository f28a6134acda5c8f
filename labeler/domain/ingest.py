"""Put a `Trajectory` into the app: arrays into the artifact directory, metadata into the store.

Reward and success are computed here with the task's own definition (pgt_core.tasks.Task), so
every trajectory in the store is scored the same way whoever rolled it out.
"""
from __future__ import annotations

from typing import Any, Mapping

from labeler.db.store import Store
from labeler.domain.tasks import task_from_row
from labeler.errors import Invalid
from labeler.files.artifacts import Artifacts
from labeler.identifiers import check_id
from pgt_core.trajectory import Trajectory


def _register(store: Store, traj: Trajectory, traj_id: str, task_row: Mapping[str, Any], artifact: str,
              round_id: int | None, latent_id: int | None, meta: dict[str, Any]) -> dict[str, Any]:
    task = task_from_row(task_row)
    return store.trajectories.add(
        traj_id, task_row["id"], seed=traj.seed, length=traj.length, reward=task.reward(traj),
        success=task.success(traj), events=traj.events, artifact=artifact, round_id=round_id, latent_id=latent_id,
        meta=meta)


def ingest_trajectory(store: Store, artifacts: Artifacts, traj: Trajectory, traj_id: str,
                      task_row: Mapping[str, Any], round_id: int | None = None,
                      latent_id: int | None = None) -> dict[str, Any]:
    """Save `traj` as `<traj_id>.npz` and register it."""
    check_id(traj_id, "trajectory id")
    name = artifacts.trajectory_name(traj_id)
    traj.save(artifacts.path(name))
    return _register(store, traj, traj_id, task_row, name, round_id, latent_id, traj.meta)


def load_trajectory(store: Store, artifacts: Artifacts, traj_id: str) -> Trajectory:
    return Trajectory.load(artifacts.existing(store.trajectories.get(traj_id)["artifact"]))


def register_artifact(store: Store, artifacts: Artifacts, traj_id: str, task_row: Mapping[str, Any],
                      round_id: int | None = None, latent_id: int | None = None,
                      meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """Register a trajectory a worker already uploaded as `<traj_id>.npz`, scored with the task here.

    `meta` is merged over the file's own metadata (e.g. what the trajectory was rolled out for).
    """
    check_id(traj_id, "trajectory id")
    name = artifacts.trajectory_name(traj_id)
    try:
        traj = Trajectory.load(artifacts.existing(name))
    except (ValueError, KeyError, OSError) as exc:
        raise Invalid(f"artifact {name!r} is not a readable trajectory: {exc}") from None
    return _register(store, traj, traj_id, task_row, name, round_id, latent_id, {**traj.meta, **(meta or {})})

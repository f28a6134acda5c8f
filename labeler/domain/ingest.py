"""Put a `Trajectory` into the app: arrays into the artifact directory, metadata into the store.

Reward and success are computed here with the task's own definition (pgt_core.tasks.Task), so
every trajectory in the store is scored the same way whoever rolled it out.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

import numpy as np

from labeler.db.store import Store
from labeler.domain.tasks import task_from_row
from labeler.files.artifacts import Artifacts, file_sha256
from labeler.files.trajectory_file import inspect_trajectory, load_outline
from labeler.identifiers import check_id
from pgt_core.trajectory import Trajectory


def _register(store: Store, artifacts: Artifacts, traj: Trajectory, traj_id: str, task_row: Mapping[str, Any],
              artifact: str, round_id: int | None, latent_id: int | None, meta: dict[str, Any]) -> dict[str, Any]:
    task = task_from_row(task_row)
    return store.trajectories.add(
        traj_id, task_row["id"], seed=traj.seed, length=traj.length, reward=task.reward(traj),
        success=task.success(traj), events=traj.events, artifact=artifact, round_id=round_id, latent_id=latent_id,
        meta=meta, artifact_sha256=file_sha256(artifacts.path(artifact)))


def ingest_trajectory(store: Store, artifacts: Artifacts, traj: Trajectory, traj_id: str,
                      task_row: Mapping[str, Any], round_id: int | None = None,
                      latent_id: int | None = None) -> dict[str, Any]:
    """Save `traj` as `<traj_id>.npz` and register it."""
    check_id(traj_id, "trajectory id")
    name = artifacts.trajectory_name(traj_id)
    artifacts.write(name, traj.to_bytes())
    return _register(store, artifacts, traj, traj_id, task_row, name, round_id, latent_id, traj.meta)


def load_trajectory(store: Store, artifacts: Artifacts, traj_id: str) -> Trajectory:
    return Trajectory.load(artifacts.existing(store.trajectories.get(traj_id)["artifact"]))


def register_artifact(store: Store, artifacts: Artifacts, traj_id: str, task_row: Mapping[str, Any],
                      round_id: int | None = None, latent_id: int | None = None,
                      meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """Register a trajectory a worker already uploaded as `<traj_id>.npz`, scored with the task here.

    The file is checked (structure, sizes, the task's time limit) and scored from its actions and
    header alone: its frames are never loaded here. `meta` is merged over the file's own metadata
    (e.g. what the trajectory was rolled out for).
    """
    check_id(traj_id, "trajectory id")
    name = artifacts.trajectory_name(traj_id)
    path = artifacts.existing(name)
    info = inspect_trajectory(path, max_steps=int(task_row["max_steps"]))
    actions, rewards, header = load_outline(path)
    outline = Trajectory(frames=np.zeros((info.steps + 1, 0, 0, 3), np.uint8), actions=actions, rewards=rewards,
                         events=[tuple(e) for e in header.get("events", [])], seed=int(header["seed"]),
                         meta=header.get("meta", {}))
    return _register(store, artifacts, outline, traj_id, task_row, name, round_id, latent_id,
                     {**outline.meta, **(meta or {})})


def register_episodes(store: Store, artifacts: Artifacts, task_row: Mapping[str, Any],
                      episodes: Iterable[Mapping[str, Any]], round_id: int | None, latent_id: int | None,
                      meta: Mapping[str, Any]) -> list[str]:
    """Register the episodes a job uploaded ({"id", "meta"?} each, its meta over `meta`); their ids in order.
    One already registered is left as it is, so a job's result applied a second time adds nothing."""
    ids = []
    for ep in episodes:
        if store.trajectories.find(ep["id"]) is None:
            register_artifact(store, artifacts, ep["id"], task_row, round_id, latent_id,
                              meta={**meta, **(ep.get("meta") or {})})
        ids.append(ep["id"])
    return ids

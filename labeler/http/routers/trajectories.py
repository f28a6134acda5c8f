"""Trajectories: registering an uploaded one [worker] (scored with its task here) and reading [researcher|worker]."""
from __future__ import annotations

from fastapi import APIRouter

from labeler.domain.ingest import register_artifact
from labeler.http.auth import TOKEN_HOLDERS, WORKERS
from labeler.http.deps import State
from labeler.http.schemas.common import ERRORS
from labeler.http.schemas.trajectories import Trajectory, TrajectoryIn
from labeler.identifiers import check_id

router = APIRouter(prefix="/api/trajectories", tags=["trajectories"], responses=ERRORS)


@router.post("", status_code=201, response_model=Trajectory, dependencies=WORKERS)
def add_trajectory(body: TrajectoryIn, st: State) -> dict:
    """Reads the uploaded `{id}.npz` and scores it with the task (reward, success, events)."""
    return register_artifact(st.store, st.artifacts, body.id, st.store.tasks.get(body.task_id), body.round_id,
                             body.latent_id)


@router.get("", response_model=list[Trajectory], dependencies=TOKEN_HOLDERS)
def list_trajectories(st: State, task_id: int, round_id: int | None = None) -> list[dict]:
    return st.store.trajectories.list(task_id, round_id)


@router.get("/{traj_id:path}", response_model=Trajectory, dependencies=TOKEN_HOLDERS)
def get_trajectory(traj_id: str, st: State) -> dict:
    return st.store.trajectories.get(check_id(traj_id, "trajectory id"))

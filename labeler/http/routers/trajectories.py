"""Trajectories: reading [researcher|worker]. A worker registers one for the job it holds
(POST /api/jobs/{id}/trajectories, labeler.http.routers.jobs)."""
from __future__ import annotations

from fastapi import APIRouter

from labeler.http.auth import TOKEN_HOLDERS
from labeler.http.deps import State
from labeler.http.schemas.common import ERRORS
from labeler.http.schemas.trajectories import Trajectory
from labeler.identifiers import check_id

router = APIRouter(prefix="/api/trajectories", tags=["trajectories"], responses=ERRORS)


@router.get("", response_model=list[Trajectory], dependencies=TOKEN_HOLDERS)
def list_trajectories(st: State, task_id: int, round_id: int | None = None) -> list[dict]:
    return st.store.trajectories.list(task_id, round_id)


@router.get("/{traj_id:path}", response_model=Trajectory, dependencies=TOKEN_HOLDERS)
def get_trajectory(traj_id: str, st: State) -> dict:
    return st.store.trajectories.get(check_id(traj_id, "trajectory id"))

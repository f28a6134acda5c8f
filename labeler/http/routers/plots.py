"""GET /api/researcher/tasks/{id}/plots?round_id= [researcher]: a task's rounds charted (SVG strings)."""
from __future__ import annotations

from fastapi import APIRouter

from labeler.http import plots
from labeler.http.auth import RESEARCHERS
from labeler.http.deps import State
from labeler.http.schemas.common import ERRORS
from labeler.http.schemas.rounds import Plots

router = APIRouter(prefix="/api/researcher", tags=["plots"], dependencies=RESEARCHERS, responses=ERRORS)


@router.get("/tasks/{task_id}/plots", response_model=Plots)
def task_plots(task_id: int, st: State, round_id: int | None = None) -> dict:
    st.store.tasks.get(task_id)
    return plots.task_plots(st.views.round_views(task_id), round_id)

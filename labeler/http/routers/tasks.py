"""Tasks: the list [open], creating one [researcher], an annotator's progress [open]."""
from __future__ import annotations

from fastapi import APIRouter, Query, Request

from labeler.http.auth import RESEARCHERS, labelling_as
from labeler.http.deps import State
from labeler.http.schemas.common import ERRORS
from labeler.http.schemas.tasks import Progress, Task, TaskIn, TaskWithCounts

router = APIRouter(prefix="/api/tasks", tags=["tasks"], responses=ERRORS)


@router.get("", response_model=list[TaskWithCounts])
def list_tasks(st: State) -> list[dict]:
    return st.store.tasks.list()


@router.post("", status_code=201, response_model=Task, dependencies=RESEARCHERS)
def create_task(body: TaskIn, st: State) -> dict:
    return st.store.tasks.create(body.name, body.achievement, body.max_steps, body.description, body.env)


@router.get("/{task_id}/progress", response_model=Progress)
def task_progress(task_id: int, request: Request, st: State, annotator: str = Query(...)) -> dict:
    return st.annotating.progress(task_id, labelling_as(request, annotator))

"""Tasks: the list [open; annotators see less], creating one and its settings [researcher], an annotator's
progress [open], and the researcher's task page.

  GET  /api/tasks                 POST /api/tasks {name, achievement, max_steps, ...}   (a task without a prompt)
  GET  /api/tasks/{id}/progress?annotator=      PATCH /api/tasks/{id}/settings {"hints"?, "instructions"?}
  POST /api/researcher/tasks {"name", "achievement", "max_steps", "description"?, "prompt"?}   a task and its z0
       prompt: {"kind": "task", "task": NAME} (a shipped clip) or
               {"kind": "trajectory", "trajectory_id": ID, "start": FRAME} (clip_len frames of an episode)
  GET  /api/researcher/tasks/{id}  the task page: rounds, jobs, latent library, promotions
"""
from __future__ import annotations

from fastapi import APIRouter, Query, Request

from labeler.domain.annotating import task_for_annotators
from labeler.domain.prompts import create_task as create_task_from_prompt
from labeler.files.tokens import ANNOTATOR
from labeler.http.auth import RESEARCHERS, labelling_as, role
from labeler.http.deps import State
from labeler.http.schemas.common import ERRORS
from labeler.http.schemas.rounds import ResearcherTaskIn, TaskPage
from labeler.http.schemas.tasks import OwnProgress, Task, TaskEntry, TaskIn, TaskSettingsIn

router = APIRouter(prefix="/api", tags=["tasks"], responses=ERRORS)


@router.get("/tasks", response_model=list[TaskEntry], response_model_exclude_none=True)
def list_tasks(request: Request, st: State) -> list[dict]:
    """Everything for token holders and researchers; annotators see what `AnnotatorTask` holds (blind tasks stay
    blind: their achievement and description are absent, not empty)."""
    tasks = st.store.tasks.list()
    if role(request) != ANNOTATOR:
        return tasks
    return [task_for_annotators(t) for t in tasks]


@router.post("/tasks", status_code=201, response_model=Task, dependencies=RESEARCHERS)
def create_task(body: TaskIn, st: State) -> dict:
    return st.store.tasks.create(body.name, body.achievement, body.max_steps, body.description, body.env,
                                 body.hints, body.instructions)


@router.get("/tasks/{task_id}/progress", response_model=OwnProgress)
def task_progress(task_id: int, request: Request, st: State, annotator: str = Query(...)) -> dict:
    return st.annotating.progress(task_id, labelling_as(request, annotator))


@router.patch("/tasks/{task_id}/settings", response_model=Task, dependencies=RESEARCHERS)
def update_settings(task_id: int, body: TaskSettingsIn, st: State) -> dict:
    """Hints on or off, and the instructions annotators read; applies to what they are served next."""
    return st.store.tasks.update_settings(task_id, body.hints, body.instructions)


@router.post("/researcher/tasks", status_code=201, response_model=Task, dependencies=RESEARCHERS, name="create_task")
def create_prompted_task(body: ResearcherTaskIn, st: State) -> dict:
    return create_task_from_prompt(st.store, st.artifacts, st.foundation(), st.policy_source, body.name,
                                   body.achievement, body.max_steps, body.description, body.prompt, st.library.lock,
                                   hints=body.hints, instructions=body.instructions)


@router.get("/researcher/tasks/{task_id}", response_model=TaskPage, dependencies=RESEARCHERS)
def task_page(task_id: int, st: State) -> dict:
    st.rounds.reconcile()
    return st.views.task_view(task_id)

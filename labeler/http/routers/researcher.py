"""The researcher's API under /api/researcher (researcher token or cookie; everyone else: 403).

  GET  /overview                      tasks, workers, achievements, shipped prompts, defaults, policy
  POST /tasks {"name", "achievement", "max_steps", "description"?, "prompt"?}   a task and its z0
       prompt: {"kind": "task", "task": NAME} (a shipped clip) or
               {"kind": "trajectory", "trajectory_id": ID, "start": FRAME} (clip_len frames of an episode)
  GET  /tasks/{id}                    the task page: rounds, jobs, latent library, promotions
  POST /tasks/{id}/rounds {"config"?}   start a round     POST /rounds/{id}/tune|retry {"config"?}
  POST /tasks/{id}/round-plan {"config"?, "people"?}   minutes of people's time a round asks, presets
  POST /rounds/{id}/promote {"confirm"?} | reject     GET /rounds/{id}/review   before/after on the same seeds
  POST /tasks/{id}/rollback           POST /latents/{id}/promote   GET /latents/compare?ids=1,2,3
  GET  /tasks/{id}/plots              GET /jobs/{id}/logs?after_id=0   GET /worker-command
"""
from __future__ import annotations

from fastapi import APIRouter, Query

from labeler.domain.evaluation_plan import plan_evaluation
from labeler.domain.prompts import create_task as create_task_from_prompt
from labeler.domain.round_config import RoundConfig
from labeler.domain.round_plan import plan_round
from labeler.errors import Invalid
from labeler.http import plots
from labeler.http.auth import RESEARCHERS
from labeler.http.deps import State
from labeler.http.schemas.common import ERRORS
from labeler.http.schemas.jobs import JobLog
from labeler.http.schemas.rounds import (
    ActiveLatent,
    Comparison,
    ConfigIn,
    Overview,
    Plots,
    PromoteIn,
    ResearcherTaskIn,
    Review,
    RoundPlan,
    RoundPlanIn,
    RoundView,
    TaskPage,
    WorkerCommand,
)
from labeler.http.schemas.tasks import Task
from pgt_core.envs.crafter_env import ACHIEVEMENTS
from pgt_core.tasks import CRAFTER_TASKS

router = APIRouter(prefix="/api/researcher", tags=["researcher"], dependencies=RESEARCHERS, responses=ERRORS)


@router.get("/overview", response_model=Overview)
def overview(st: State) -> dict:
    st.rounds.reconcile()
    tasks = []
    for t in st.store.tasks.list():
        rs = st.store.rounds.list(t["id"])
        tasks.append({**t, "active_latent_id": st.library.active_id(t["id"]),
                      "round": rs[-1]["number"] if rs else None, "status": rs[-1]["status"] if rs else None})
    return {"tasks": tasks, "workers": st.workers.recent(), "achievements": list(ACHIEVEMENTS),
            "prompts": sorted(st.foundation().prompts), "presets": {k: v.max_steps for k, v in CRAFTER_TASKS.items()},
            "defaults": RoundConfig().to_dict(), "policy": st.policy_source}


@router.post("/tasks", status_code=201, response_model=Task)
def create_task(body: ResearcherTaskIn, st: State) -> dict:
    return create_task_from_prompt(st.store, st.artifacts, st.foundation(), st.policy_source, body.name,
                                   body.achievement, body.max_steps, body.description, body.prompt, st.library.lock,
                                   hints=body.hints, instructions=body.instructions)


@router.get("/tasks/{task_id}", response_model=TaskPage)
def task_page(task_id: int, st: State) -> dict:
    st.rounds.reconcile()
    return st.views.task_view(task_id)


@router.post("/tasks/{task_id}/rounds", status_code=201, response_model=RoundView)
def start_round(task_id: int, st: State, body: ConfigIn | None = None) -> dict:
    return st.views.round_view(st.rounds.start_round(task_id, body.config if body else None)["id"])


@router.post("/tasks/{task_id}/round-plan", response_model=RoundPlan)
def round_plan(task_id: int, st: State, body: RoundPlanIn | None = None) -> dict:
    """What a round of these settings would ask of people (minutes, answers, episodes) and presets sized in
    minutes; the same validation as starting it (422 names the field)."""
    body = body or RoundPlanIn()
    cfg = RoundConfig.from_dict(body.config)
    return {**plan_round(st.store, task_id, cfg, body.people, st.annotating.k),
            "evaluation": plan_evaluation(st.store, st.library, task_id, cfg, body.eval_half_width)}


@router.post("/rounds/{round_id}/tune", response_model=RoundView)
def tune(round_id: int, st: State, body: ConfigIn | None = None) -> dict:
    return st.views.round_view(st.rounds.start_tuning(round_id, body.config if body else None)["id"])


@router.post("/rounds/{round_id}/retry", response_model=RoundView)
def retry(round_id: int, st: State, body: ConfigIn | None = None) -> dict:
    return st.views.round_view(st.rounds.retry(round_id, body.config if body else None)["id"])


@router.post("/rounds/{round_id}/promote", response_model=RoundView)
def promote(round_id: int, st: State, body: PromoteIn | None = None) -> dict:
    """409 for a candidate that did worse than its start, unless `confirm` (the review asked the researcher)."""
    return st.views.round_view(st.rounds.promote(round_id, confirm=bool(body and body.confirm))["id"])


@router.post("/rounds/{round_id}/reject", response_model=RoundView)
def reject(round_id: int, st: State) -> dict:
    return st.views.round_view(st.rounds.reject(round_id)["id"])


@router.get("/rounds/{round_id}/review", response_model=Review)
def review(round_id: int, st: State, outcome: str = "all", offset: int = Query(0, ge=0),
           limit: int = Query(20, ge=1, le=200)) -> dict:
    """Every evaluation seed kept, `outcome` = all | win | loss | both | neither, paged."""
    return st.views.review(round_id, outcome, offset, limit)


@router.post("/tasks/{task_id}/rollback", response_model=ActiveLatent)
def rollback(task_id: int, st: State) -> dict:
    return st.library.rollback(task_id)


@router.post("/latents/{latent_id}/promote", response_model=ActiveLatent)
def promote_latent(latent_id: int, st: State) -> dict:
    return st.library.promote(latent_id)


@router.get("/latents/compare", response_model=Comparison)
def compare(st: State, ids: str) -> dict:
    try:
        wanted = [int(x) for x in ids.split(",") if x.strip()]
    except ValueError:
        raise Invalid("ids must be comma-separated latent ids") from None
    return st.library.compare(wanted)


@router.get("/tasks/{task_id}/plots", response_model=Plots)
def task_plots(task_id: int, st: State, round_id: int | None = None) -> dict:
    st.store.tasks.get(task_id)
    return plots.task_plots(st.views.round_views(task_id), round_id)


@router.get("/jobs/{job_id}/logs", response_model=list[JobLog])
def job_logs(job_id: int, st: State, after_id: int = 0) -> list[dict]:
    st.store.jobs.get(job_id)
    return st.store.jobs.logs(job_id, after_id)


@router.get("/worker-command", response_model=WorkerCommand)
def worker_command(st: State) -> dict:
    url = st.config.base_url
    port = url.rsplit(":", 1)[-1]
    return {"command": f"PGT_WORKER_TOKEN={st.tokens.worker} python -m labeler.worker --url {url}",
            "note": "the app listens on loopback: from another machine, forward the port first, "
                    f"e.g. ssh -N -L {port}:127.0.0.1:{port} <this host>"}

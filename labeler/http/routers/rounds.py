"""Rounds: a task's rounds as stored [researcher|worker]; starting, sizing and advancing one [researcher].

  GET  /api/tasks/{id}/rounds                                  the rounds as stored
  POST /api/researcher/tasks/{id}/rounds {"config"?}           start a round
  POST /api/researcher/tasks/{id}/round-plan {"config"?, "people"?}   minutes of people's time a round asks, presets
  POST /api/researcher/rounds/{id}/tune | retry {"config"?}
  POST /api/researcher/rounds/{id}/promote {"confirm"?} | reject
  GET  /api/researcher/rounds/{id}/review                      before/after on the same seeds
"""
from __future__ import annotations

from fastapi import APIRouter, Query

from labeler.domain.evaluation_plan import plan_evaluation
from labeler.domain.round_config import RoundConfig
from labeler.domain.round_plan import plan_round
from labeler.http.auth import RESEARCHERS, TOKEN_HOLDERS
from labeler.http.deps import State
from labeler.http.schemas.common import ERRORS
from labeler.http.schemas.rounds import ConfigIn, PromoteIn, Review, Round, RoundPlan, RoundPlanIn, RoundView

router = APIRouter(prefix="/api", tags=["rounds"], responses=ERRORS)


@router.get("/tasks/{task_id}/rounds", response_model=list[Round], dependencies=TOKEN_HOLDERS)
def list_rounds(task_id: int, st: State) -> list[dict]:
    st.store.tasks.get(task_id)
    return st.store.rounds.list(task_id)


@router.post("/researcher/tasks/{task_id}/rounds", status_code=201, response_model=RoundView, dependencies=RESEARCHERS)
def start_round(task_id: int, st: State, body: ConfigIn | None = None) -> dict:
    return st.views.round_view(st.rounds.start_round(task_id, body.config if body else None)["id"])


@router.post("/researcher/tasks/{task_id}/round-plan", response_model=RoundPlan, dependencies=RESEARCHERS)
def round_plan(task_id: int, st: State, body: RoundPlanIn | None = None) -> dict:
    """What a round of these settings would ask of people (minutes, answers, episodes) and presets sized in
    minutes; the same validation as starting it (422 names the field)."""
    body = body or RoundPlanIn()
    cfg = RoundConfig.from_dict(body.config)
    return {**plan_round(st.store, task_id, cfg, body.people, st.annotating.k),
            "evaluation": plan_evaluation(st.store, st.library, task_id, cfg, body.eval_half_width)}


@router.post("/researcher/rounds/{round_id}/tune", response_model=RoundView, dependencies=RESEARCHERS)
def tune(round_id: int, st: State, body: ConfigIn | None = None) -> dict:
    return st.views.round_view(st.rounds.start_tuning(round_id, body.config if body else None)["id"])


@router.post("/researcher/rounds/{round_id}/retry", response_model=RoundView, dependencies=RESEARCHERS)
def retry(round_id: int, st: State, body: ConfigIn | None = None) -> dict:
    return st.views.round_view(st.rounds.retry(round_id, body.config if body else None)["id"])


@router.post("/researcher/rounds/{round_id}/promote", response_model=RoundView, dependencies=RESEARCHERS)
def promote(round_id: int, st: State, body: PromoteIn | None = None) -> dict:
    """409 for a candidate that did worse than its start, unless `confirm` (the review asked the researcher)."""
    return st.views.round_view(st.rounds.promote(round_id, confirm=bool(body and body.confirm))["id"])


@router.post("/researcher/rounds/{round_id}/reject", response_model=RoundView, dependencies=RESEARCHERS)
def reject(round_id: int, st: State) -> dict:
    return st.views.round_view(st.rounds.reject(round_id)["id"])


@router.get("/researcher/rounds/{round_id}/review", response_model=Review, dependencies=RESEARCHERS)
def review(round_id: int, st: State, outcome: str = "all", offset: int = Query(0, ge=0),
           limit: int = Query(20, ge=1, le=200)) -> dict:
    """Every evaluation seed kept, `outcome` = all | win | loss | both | neither, paged."""
    return st.views.review(round_id, outcome, offset, limit)

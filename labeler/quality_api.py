"""Annotator quality over HTTP: dashboard statistics, gold/repeat checks, the adjudication queue.

Include with `app.include_router(quality_api.router)` (researcher-only: pass
`dependencies=[Depends(require(RESEARCHER))]`). Tables are created on first use
(`QualityStore.ensure_schema`), or by a registered migration (`quality_migration`).

  GET  /quality                                        the dashboard page (static/quality.html)
  GET  /api/quality/summary?task_id=&round_id=         quality_report: alpha (overall, per task and
                                                       round), gold accuracy, self-consistency, majority
                                                       agreement, position bias, labels/hour, time per
                                                       label, hourly activity, disagreements
  POST /api/quality/checks {"task_id", "round_id"?, "n_gold"?: 5, "n_repeats"?: 5, "min_reward_gap"?: 0.5}
                                                       -> {"gold": [Check], "repeats": [Check]} (201)
  GET  /api/quality/checks?task_id=                    -> [Check]
  GET  /api/quality/adjudication?task_id=&round_id=&decisive_only=false&include_resolved=false
                                                       -> [Disagreement + {"a", "b": rollout view, "resolution"}]
  POST /api/quality/adjudication {"pair_id", "decision": a|b|tie|both_bad|discard, "researcher", "note"?}
                                                       -> Adjudication (201)
  GET  /api/quality/adjudications?task_id=             -> the latest decision per pair
  GET  /api/quality/resolved?task_id=&round_id=        -> one resolved preference per pair (adjudicated,
                                                       unanimous or majority; repeats left out): what
                                                       tuning reads (labeler.rounds)
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from labeler.export import iter_labels
from labeler.quality import LabelRecord, disagreements, quality_report, records, resolve_preferences
from labeler.quality_checks import add_gold_checks, add_repeat_checks
from labeler.quality_store import QualityStore
from labeler.store import check_name

router = APIRouter(tags=["quality"])
PAGE = Path(__file__).resolve().parent / "static" / "quality" / "index.html"


def _qs(request: Request) -> QualityStore:
    """The quality tables on the app's store, created once per app."""
    app_state = request.app.state
    qs = getattr(app_state, "quality_store", None)
    if qs is None:
        qs = QualityStore(app_state.pgt.store)
        qs.ensure_schema()
        app_state.quality_store = qs
    return qs


def _labels(request: Request, task_id: int, round_id: int | None) -> list[LabelRecord]:
    store = request.app.state.pgt.store
    store.get_task(task_id)  # 404 for an unknown task
    recs = records(iter_labels(store, task_id))
    return [r for r in recs if round_id is None or r.round_id == round_id]


def _rollout(traj: dict[str, Any]) -> dict[str, Any]:
    return {"id": traj["id"], "video_url": f"/api/videos/{traj['id']}.mp4", "reward": traj["reward"],
            "success": traj["success"], "length": traj["length"], "seed": traj["seed"], "events": traj["events"]}


@router.get("/quality", include_in_schema=False)
def dashboard_page() -> FileResponse:
    return FileResponse(PAGE, headers={"Cache-Control": "no-cache"})


@router.get("/api/quality/summary")
def summary(request: Request, task_id: int, round_id: int | None = None) -> dict[str, Any]:
    qs = _qs(request)
    report = quality_report(_labels(request, task_id, round_id), gold=qs.gold(task_id), canonical=qs.aliases())
    report.update({"task_id": task_id, "round_id": round_id,
                   "checks": {"gold": len(qs.checks(task_id, "gold")), "repeat": len(qs.checks(task_id, "repeat"))}})
    return report


class ChecksIn(BaseModel):
    task_id: int
    round_id: int | None = None
    n_gold: int = Field(5, ge=0, le=1000)
    n_repeats: int = Field(5, ge=0, le=1000)
    min_reward_gap: float = Field(0.5, ge=0)


@router.post("/api/quality/checks", status_code=201)
def plant_checks(body: ChecksIn, request: Request) -> JSONResponse:
    store, qs = request.app.state.pgt.store, _qs(request)
    store.get_task(body.task_id)
    gold = add_gold_checks(store, qs, body.task_id, body.round_id, body.n_gold, body.min_reward_gap)
    repeats = add_repeat_checks(store, qs, body.task_id, body.round_id, body.n_repeats)
    return JSONResponse({"gold": gold, "repeats": repeats}, status_code=201)


@router.get("/api/quality/checks")
def list_checks(request: Request, task_id: int) -> list[dict[str, Any]]:
    return _qs(request).checks(task_id)


@router.get("/api/quality/adjudication")
def adjudication_queue(request: Request, task_id: int, round_id: int | None = None, decisive_only: bool = False,
                       include_resolved: bool = False) -> list[dict[str, Any]]:
    store, qs = request.app.state.pgt.store, _qs(request)
    resolved = {int(r["pair_id"]): r for r in qs.adjudications(task_id)}
    out = []
    for d in disagreements(_labels(request, task_id, round_id), decisive_only=decisive_only):
        if d.pair_id in resolved and not include_resolved:
            continue
        out.append({**d.to_dict(), "a": _rollout(store.get_trajectory(d.traj_a)),
                    "b": _rollout(store.get_trajectory(d.traj_b)), "resolution": resolved.get(d.pair_id)})
    return out


class AdjudicationIn(BaseModel):
    pair_id: int
    decision: Literal["a", "b", "tie", "both_bad", "discard"]
    researcher: str
    note: str | None = Field(default=None, max_length=2000)


@router.post("/api/quality/adjudication", status_code=201)
def adjudicate(body: AdjudicationIn, request: Request) -> JSONResponse:
    row = _qs(request).add_adjudication(body.pair_id, body.decision, check_name(body.researcher, "researcher"),
                                        body.note)
    return JSONResponse(row, status_code=201)


@router.get("/api/quality/adjudications")
def list_adjudications(request: Request, task_id: int) -> list[dict[str, Any]]:
    return _qs(request).adjudications(task_id)


@router.get("/api/quality/resolved")
def resolved(request: Request, task_id: int, round_id: int | None = None) -> list[dict[str, Any]]:
    qs = _qs(request)
    decisions = {int(r["pair_id"]): r["decision"] for r in qs.adjudications(task_id)}
    repeats = [int(c["pair_id"]) for c in qs.checks(task_id, "repeat")]
    out = resolve_preferences(_labels(request, task_id, round_id), decisions, exclude_pairs=repeats)
    return [r for r in out if round_id is None or r["round_id"] == round_id]

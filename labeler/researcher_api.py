"""The researcher's JSON API under /api/researcher (researcher token or cookie; everyone else: 403).

  GET  /api/researcher/overview -> {"tasks", "workers", "achievements", "prompts", "defaults", "policy"}
  POST /api/researcher/tasks {"name", "achievement", "max_steps", "description"?, "prompt"?} -> Task (201)
       prompt: {"kind": "task", "task": NAME} (a shipped clip) or
               {"kind": "trajectory", "trajectory_id": ID, "start": FRAME} (16 frames of an episode)
  GET  /api/researcher/tasks/{id} -> {"task", "active_latent_id", "rounds", "jobs", "latents", "promotions"}
  POST /api/researcher/tasks/{id}/rounds {"config"?: RoundConfig} -> Round (201)
  POST /api/researcher/rounds/{id}/tune {"config"?: overrides} -> Round
  POST /api/researcher/rounds/{id}/retry {"config"?: overrides} -> Round
  POST /api/researcher/rounds/{id}/promote -> Round      POST /api/researcher/rounds/{id}/reject -> Round
  GET  /api/researcher/rounds/{id}/review -> {"round", "seeds", "rates", "rows": [{"seed", "before", "after"}]}
  POST /api/researcher/tasks/{id}/rollback -> {"active_latent_id", "rolled_back"}
  POST /api/researcher/latents/{id}/promote -> {"active_latent_id"}
  GET  /api/researcher/latents/compare?ids=1,2,3 -> {"latents", "norm", "cosine", "l2"}
  GET  /api/researcher/tasks/{id}/plots -> {"success", "loss", "margin", "accuracy", "epochs"} (SVG strings)
  GET  /api/researcher/jobs/{id}/logs?after_id=0 -> [{"id", "attempt", "worker", "message", "created_at"}]
  GET  /api/researcher/worker-command -> {"command"} to start a worker on another machine
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from labeler import plots
from labeler.auth import RESEARCHER, require
from labeler.errors import Invalid
from labeler.round_store import RoundStore
from labeler.rounds import RoundConfig, Rounds

router = APIRouter(prefix="/api/researcher", dependencies=[Depends(require(RESEARCHER))])


class TaskIn(BaseModel):
    name: str
    achievement: str
    max_steps: int = Field(gt=0, le=100_000)
    description: str = ""
    prompt: dict[str, Any] | None = None


class ConfigIn(BaseModel):
    config: dict[str, Any] = Field(default_factory=dict)


def _rounds(request: Request) -> Rounds:
    return request.app.state.rounds


@router.get("/overview")
def overview(request: Request) -> dict[str, Any]:
    from pgt_core.envs.crafter_env import ACHIEVEMENTS
    from pgt_core.tasks import CRAFTER_TASKS

    rounds = _rounds(request)
    rounds.reconcile()
    tasks = []
    for t in rounds.store.list_tasks():
        rs = rounds.db.rounds(t["id"])
        tasks.append({**t, "active_latent_id": rounds.active_latent_id(t["id"]),
                      "round": rs[-1]["number"] if rs else None, "status": rounds.status_of(rs[-1]) if rs else None})
    return {"tasks": tasks, "workers": request.app.state.workers.recent(), "achievements": list(ACHIEVEMENTS),
            "prompts": rounds.prompt_names(), "presets": {k: v.max_steps for k, v in CRAFTER_TASKS.items()},
            "defaults": RoundConfig().to_dict(), "policy": rounds.policy_source()}


@router.post("/tasks", status_code=201)
def create_task(body: TaskIn, request: Request) -> JSONResponse:
    task = _rounds(request).create_task(body.name, body.achievement, body.max_steps, body.description, body.prompt)
    return JSONResponse(task, status_code=201)


@router.get("/tasks/{task_id}")
def task_view(task_id: int, request: Request) -> dict[str, Any]:
    return _rounds(request).task_view(task_id)


@router.post("/tasks/{task_id}/rounds", status_code=201)
def start_round(task_id: int, body: ConfigIn, request: Request) -> JSONResponse:
    return JSONResponse(_rounds(request).start_round(task_id, body.config), status_code=201)


@router.post("/rounds/{round_id}/tune")
def tune(round_id: int, body: ConfigIn, request: Request) -> dict[str, Any]:
    return _rounds(request).start_tuning(round_id, body.config)


@router.post("/rounds/{round_id}/retry")
def retry(round_id: int, body: ConfigIn, request: Request) -> dict[str, Any]:
    return _rounds(request).retry(round_id, body.config)


@router.post("/rounds/{round_id}/promote")
def promote(round_id: int, request: Request) -> dict[str, Any]:
    return _rounds(request).promote(round_id)


@router.post("/rounds/{round_id}/reject")
def reject(round_id: int, request: Request) -> dict[str, Any]:
    return _rounds(request).reject(round_id)


@router.get("/rounds/{round_id}/review")
def review(round_id: int, request: Request) -> dict[str, Any]:
    return _rounds(request).review(round_id)


@router.post("/tasks/{task_id}/rollback")
def rollback(task_id: int, request: Request) -> dict[str, Any]:
    return _rounds(request).rollback(task_id)


@router.post("/latents/{latent_id}/promote")
def promote_latent(latent_id: int, request: Request) -> dict[str, Any]:
    return _rounds(request).promote_latent(latent_id)


@router.get("/latents/compare")
def compare(request: Request, ids: str) -> dict[str, Any]:
    try:
        wanted = [int(x) for x in ids.split(",") if x.strip()]
    except ValueError:
        raise Invalid("ids must be comma-separated latent ids") from None
    return _rounds(request).compare(wanted)


@router.get("/tasks/{task_id}/plots")
def task_plots(task_id: int, request: Request, round_id: int | None = None) -> dict[str, str]:
    rounds = _rounds(request)
    rounds.store.get_task(task_id)
    return plots.task_plots(rounds.round_views(task_id), round_id)


@router.get("/jobs/{job_id}/logs")
def job_logs(job_id: int, request: Request, after_id: int = 0) -> list[dict[str, Any]]:
    rounds = _rounds(request)
    rounds.store.get_job(job_id)
    return RoundStore(rounds.store).job_logs(job_id, after_id)


@router.get("/worker-command")
def worker_command(request: Request) -> dict[str, str]:
    url = request.app.state.pgt.config.base_url
    token = request.app.state.tokens.worker
    return {"command": f"PGT_WORKER_TOKEN={token} python -m labeler.worker --url {url}",
            "note": "the app listens on loopback: from another machine, forward the port first, "
                    f"e.g. ssh -N -L {url.rsplit(':', 1)[-1]}:127.0.0.1:{url.rsplit(':', 1)[-1]} <this host>"}

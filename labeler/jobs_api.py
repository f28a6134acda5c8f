"""The worker protocol under /api/jobs, for holders of the worker token only.

  POST /api/jobs/claim {"worker", "kinds"?: [..], "info"?: {...}} -> {"job": Job|null}
  POST /api/jobs/{id}/heartbeat {"worker", "progress"?: 0..1, "message"?, "logs"?: [str]} -> Job
       (/progress is the same call). 409: the job is no longer yours -- abandon it.
  PUT  /api/jobs/{id}/artifacts/{name}?worker=W  body: the file (<id>.npz or <id>.mp4) -> {"name", "bytes"}
  POST /api/jobs/{id}/complete {"worker", "result"} -> Job   (repeating it after a lost answer is fine)
  POST /api/jobs/{id}/fail {"worker", "error", "retry"?: true, "logs"?: [..]} -> Job

Leases: a job whose worker has not sent a heartbeat for `job_stale_s` goes back to the queue
on the next claim (attempts + 1, failed for good after max_attempts); the dead worker's late
heartbeat, upload or completion then gets 409 because the job is no longer running under
its name (each worker process has a unique name), so a result is only ever taken once.
After every completion or failure the rounds are reconciled, which applies the result.

These routes are included before `labeler.api`'s job routes, so they take precedence.
"""
from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from labeler import api
from labeler.auth import WORKER, require
from labeler.errors import Conflict
from labeler.round_store import RoundStore
from labeler.store import check_name

router = APIRouter(prefix="/api", dependencies=[Depends(require(WORKER))])
SEEN_FOR_S = 120.0  # a worker is listed while it claimed or reported within this window


class ClaimIn(BaseModel):
    worker: str
    kinds: list[str] | None = None
    info: dict[str, Any] = Field(default_factory=dict)


class HeartbeatIn(BaseModel):
    worker: str
    progress: float | None = None
    message: str | None = None
    logs: list[str] = Field(default_factory=list)


class CompleteIn(BaseModel):
    worker: str
    result: dict[str, Any] = Field(default_factory=dict)


class FailIn(BaseModel):
    worker: str
    error: str
    retry: bool = True
    logs: list[str] = Field(default_factory=list)


class Workers:
    """Workers seen lately, in memory: what the researcher view shows under 'Workers'."""

    def __init__(self) -> None:
        self._seen: dict[str, dict[str, Any]] = {}

    def saw(self, name: str, job_id: int | None = None, info: dict[str, Any] | None = None) -> None:
        entry = self._seen.setdefault(name, {"name": name, "info": {}})
        entry["last_seen"] = time.time()
        entry["job_id"] = job_id
        if info:
            entry["info"] = info

    def recent(self) -> list[dict[str, Any]]:
        now = time.time()
        self._seen = {k: v for k, v in self._seen.items() if now - v["last_seen"] < SEEN_FOR_S}
        return [{**v, "seen_s_ago": round(now - v["last_seen"], 1)} for v in self._seen.values()]


def _ctx(request: Request) -> tuple[Any, RoundStore, Any, Workers]:
    app = request.app.state
    return app.pgt, RoundStore(app.pgt.store), app.rounds, app.workers


@router.post("/jobs/claim")
def claim(body: ClaimIn, request: Request) -> dict[str, Any]:
    st, _, rounds, workers = _ctx(request)
    name = check_name(body.worker, "worker name")
    job = st.store.claim_job(name, body.kinds, st.config.job_stale_s)
    rounds.reconcile()  # the claim may have failed stale jobs for good
    workers.saw(name, job["id"] if job else None, body.info)
    return {"job": job}


@router.post("/jobs/{job_id}/heartbeat")
@router.post("/jobs/{job_id}/progress")
def heartbeat(job_id: int, body: HeartbeatIn, request: Request) -> dict[str, Any]:
    st, db, _, workers = _ctx(request)
    job = st.store.heartbeat_job(job_id, body.worker, body.progress, body.message)
    if body.logs:
        db.add_job_logs(job_id, job["attempts"], body.worker, body.logs)
    workers.saw(body.worker, job_id)
    return job


@router.put("/jobs/{job_id}/artifacts/{name}")
async def upload(job_id: int, name: str, worker: str, request: Request) -> dict[str, Any]:
    st, _, _, _ = _ctx(request)
    job = st.store.get_job(job_id)
    if job["status"] != "running" or job["worker"] != worker:
        raise Conflict(f"job {job_id} is not running under worker {worker!r}; abandon it")
    return await api.put_artifact(name, request)


@router.post("/jobs/{job_id}/complete")
def complete(job_id: int, body: CompleteIn, request: Request) -> dict[str, Any]:
    st, _, rounds, workers = _ctx(request)
    job = st.store.get_job(job_id)
    if job["status"] == "done" and job["worker"] == body.worker:
        return job  # a repeat after a lost answer: already taken, nothing to do
    job = st.store.complete_job(job_id, body.worker, body.result)
    workers.saw(body.worker)
    rounds.reconcile()
    return job


@router.post("/jobs/{job_id}/fail")
def fail(job_id: int, body: FailIn, request: Request) -> dict[str, Any]:
    st, db, rounds, workers = _ctx(request)
    job = st.store.get_job(job_id)
    if body.logs and job["status"] == "running" and job["worker"] == body.worker:
        db.add_job_logs(job_id, job["attempts"], body.worker, body.logs)
    job = st.store.fail_job(job_id, body.worker, body.error, body.retry)
    db.add_job_logs(job_id, job["attempts"], body.worker,
                    [f"FAILED ({'will retry' if job['status'] == 'queued' else 'final'}): {body.error}"])
    workers.saw(body.worker)
    rounds.reconcile()
    return job

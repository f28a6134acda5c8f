"""The JSON HTTP API under /api: the only way other processes reach the store.

Why HTTP for everything but the app: DuckDB admits one read-write process per file, so the
app owns it and workers, the benchmark and tests talk to it over loopback.

Errors are JSON `{"detail": "<message>"}` with 403 (this route needs a token you did not
send), 404 (unknown id), 409 (conflict: second label for a pair, reused submission id, job
no longer yours) or 422 (invalid input, including unsafe artifact names). Timestamps are
ISO 8601 strings.

Who may call what (`labeler.auth`; tokens as `Authorization: Bearer ...`, or the researcher
cookie): routes marked [open] are the annotator view's and need no token; [R] needs the
researcher token, [W] the worker token, [R|W] either. Everything else answers 403.

Annotating
  GET  /api/status [open] -> {"ready": bool, "bootstrap": Job|null, "schema_version": int, "labels_per_pair": int}
  GET  /api/tasks [open] -> [Task + {"n_trajectories", "n_pairs", "n_labels"}]
  POST /api/tasks [R] {"name", "achievement", "max_steps", "description"?, "env"?} -> Task (201)
  GET  /api/tasks/{task_id}/progress?annotator=NAME [open] -> Progress
  GET  /api/pairs/next?task_id=ID&annotator=NAME&exclude=3,7 [open]
       -> {"pair": PairView|null, "progress": Progress, "fps": int}
       Reserves the pair for NAME (a lease) so others are not sent it beyond k; `exclude`
       lists pairs the client already holds (current, prefetched, unsent labels).
       PairView = {"id", "task_id", "round_id", "target": achievement, "max_steps",
                   "left": TrajView, "right": TrajView}  (sides randomised per request)
       TrajView = {"id", "video_url", "length", "reward", "success", "events": [[step, name]]}
       Progress = {"done", "total", "pairs", "complete", "k"} (done/total are this annotator's)
  POST /api/labels [open] {"submission_id": 8-128 chars, "pair_id", "annotator",
                    "choice": left|right|tie|both_bad|skip, "left_traj", "right_traj",
                    "time_spent_ms"?}
       -> 201 {"label": Label, "created": true}; resending the same submission_id
          -> 200 {"label": Label, "created": false} (idempotent, nothing written twice)
  GET  /api/labels?task_id=&annotator=&after_id=0&limit=1000 [R|W] -> [Label + pair's task_id, round_id, traj_a, traj_b]
  GET  /api/pairs?task_id=ID [R|W] -> [Pair + {"n_labels"}]      GET /api/pairs/{id} [R|W] -> Pair
  POST /api/pairs [R] {"task_id", "round_id"?, "source"?, "pairs": [[traj_a, traj_b], ...]} -> [Pair] (201, new only)

Trajectories and artifacts
  PUT  /api/artifacts/{id}.npz [W]  body: Trajectory.to_bytes() -> {"name", "bytes"} (atomic write)
  GET  /api/artifacts/{name} [R|W] -> the file (.npz or .mp4)
  POST /api/trajectories [W] {"id", "task_id", "round_id"?, "latent_id"?} -> Trajectory (201);
       reads the uploaded {id}.npz and scores it with the task (reward, success, events)
  GET  /api/trajectories?task_id=&round_id= [R|W] -> [Trajectory]   GET /api/trajectories/{id} [R|W]
  GET  /api/videos/{id}.mp4 [open] -> H.264 mp4 (encoded on first request, then cached; range requests)

Latents and rounds
  POST /api/latents [R] {"task_id", "vector": [512 floats], "source", "parent_id"?, "meta"?} -> Latent (201)
  GET  /api/latents/{id} [R|W] -> Latent with "vector"   GET /api/tasks/{id}/latents [R|W] -> [Latent without vector]
  POST /api/rounds [R] {"task_id", "latent_id"?} -> Round (201)   GET /api/tasks/{id}/rounds [R|W] -> [Round]

Jobs
  POST /api/jobs [R] {"kind", "task_id"?, "payload"?, "max_attempts"?} -> Job (201)
  GET  /api/jobs?status=&kind=&task_id= [R|W] -> [Job]    GET /api/jobs/{id} [R|W] -> Job
  The worker protocol (claim, heartbeat, upload, complete, fail; worker token) is
  `labeler.jobs_api`; rounds and the researcher's routes are `labeler.researcher_api`.
"""
from __future__ import annotations

import secrets
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from labeler.auth import RESEARCHER, WORKER, require
from labeler.errors import Invalid
from labeler.ingest import register_artifact
from labeler.scheduling import choose_next, progress
from labeler.state import AppState
from labeler.store import check_id, check_name

router = APIRouter(prefix="/api")
# Who may call what (labeler.auth); routes without `dependencies` are the annotator's, open to all.
RESEARCHERS = [Depends(require(RESEARCHER))]  # creating tasks, latents, rounds, pairs, jobs
WORKERS = [Depends(require(WORKER))]  # uploading artifacts, registering trajectories
TOKEN_HOLDERS = [Depends(require(RESEARCHER, WORKER))]  # reading anything the annotator view does not need
MAX_UPLOAD_BYTES = 512 * 1024 * 1024


def _state(request: Request) -> AppState:
    return request.app.state.pgt


def _created(body: Any) -> JSONResponse:
    return JSONResponse(body, status_code=201)


def _ids(text: str, limit: int = 100) -> set[int]:
    parts = [p for p in text.split(",") if p.strip()]
    if len(parts) > limit:
        raise Invalid(f"exclude lists at most {limit} pair ids")
    try:
        return {int(p) for p in parts}
    except ValueError:
        raise Invalid(f"exclude must be comma-separated pair ids, got {text!r}") from None


# -- request bodies ---------------------------------------------------------------------------
class TaskIn(BaseModel):
    name: str
    achievement: str
    max_steps: int = Field(gt=0, le=100_000)
    description: str = ""
    env: str = "crafter"


class LabelIn(BaseModel):
    submission_id: str = Field(min_length=8, max_length=128)
    pair_id: int
    annotator: str
    choice: Literal["left", "right", "tie", "both_bad", "skip"]
    left_traj: str
    right_traj: str
    time_spent_ms: int | None = Field(default=None, ge=0, le=86_400_000)


class PairsIn(BaseModel):
    task_id: int
    round_id: int | None = None
    source: str = "human"
    pairs: list[tuple[str, str]]


class TrajectoryIn(BaseModel):
    id: str
    task_id: int
    round_id: int | None = None
    latent_id: int | None = None


class LatentIn(BaseModel):
    task_id: int
    vector: list[float]
    source: str = "tuned"
    parent_id: int | None = None
    meta: dict[str, Any] | None = None


class RoundIn(BaseModel):
    task_id: int
    latent_id: int | None = None


class JobIn(BaseModel):
    kind: str
    task_id: int | None = None
    payload: dict[str, Any] | None = None
    max_attempts: int = Field(default=3, ge=1, le=100)


# -- status and tasks -------------------------------------------------------------------------
@router.get("/status")
def status(request: Request) -> dict[str, Any]:
    st = _state(request)
    return {
        "ready": any(t["n_pairs"] > 0 for t in st.store.list_tasks()),
        "bootstrap": st.bootstrapper.status(),
        "schema_version": st.store.schema_version(),
        "labels_per_pair": st.config.labels_per_pair,
    }


@router.get("/tasks")
def list_tasks(request: Request) -> list[dict[str, Any]]:
    return _state(request).store.list_tasks()


@router.post("/tasks", status_code=201, dependencies=RESEARCHERS)
def create_task(body: TaskIn, request: Request) -> JSONResponse:
    return _created(_state(request).store.create_task(body.name, body.achievement, body.max_steps, body.description, body.env))


@router.get("/tasks/{task_id}/progress")
def task_progress(task_id: int, request: Request, annotator: str = Query(...)) -> dict[str, int]:
    st = _state(request)
    st.store.get_task(task_id)
    return progress(st.store.pair_stats(task_id, check_name(annotator)), st.config.labels_per_pair).as_dict()


# -- pairs and labels -------------------------------------------------------------------------
def _traj_view(traj: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": traj["id"],
        "video_url": f"/api/videos/{traj['id']}.mp4",
        "length": traj["length"],
        "reward": traj["reward"],
        "success": traj["success"],
        "events": traj["events"],
    }


def pair_view(st: AppState, pair_id: int) -> dict[str, Any]:
    pair = st.store.pair_detail(pair_id)
    sides = [pair["a"], pair["b"]]
    if secrets.randbelow(2):  # the order shown is random; the label records it
        sides.reverse()
    return {"id": pair["id"], "task_id": pair["task_id"], "round_id": pair["round_id"],
            "target": pair["achievement"], "max_steps": pair["max_steps"],
            "left": _traj_view(sides[0]), "right": _traj_view(sides[1])}


@router.get("/pairs/next")
def next_pair(request: Request, task_id: int, annotator: str, exclude: str = "") -> dict[str, Any]:
    st = _state(request)
    who = check_name(annotator)
    excluded = _ids(exclude)
    k = st.config.labels_per_pair
    with st.schedule_lock:  # pick + lease atomically, so two people never race for the last slot
        stats = st.store.pair_stats(task_id, who)
        pick = choose_next(stats, k, excluded, st.leases.held_by_others(who))
        if pick is not None:
            st.leases.hold(pick.pair_id, who)
    if not stats:
        st.store.get_task(task_id)  # 404 for an unknown task; a known one simply has no pairs yet
    return {"pair": pair_view(st, pick.pair_id) if pick else None, "progress": progress(stats, k).as_dict(),
            "fps": st.config.video_fps}


@router.post("/labels")
def add_label(body: LabelIn, request: Request) -> JSONResponse:
    st = _state(request)
    label, created = st.store.add_label(**body.model_dump())
    st.leases.release(body.pair_id, label["annotator"])
    return JSONResponse({"label": label, "created": created}, status_code=201 if created else 200)


@router.get("/labels", dependencies=TOKEN_HOLDERS)
def list_labels(request: Request, task_id: int | None = None, annotator: str | None = None,
                after_id: int = 0, limit: int = Query(1000, ge=1, le=10_000)) -> list[dict[str, Any]]:
    return _state(request).store.list_labels(task_id, annotator, after_id, limit)


@router.get("/pairs", dependencies=TOKEN_HOLDERS)
def list_pairs(request: Request, task_id: int) -> list[dict[str, Any]]:
    return _state(request).store.list_pairs(task_id)


@router.get("/pairs/{pair_id}", dependencies=TOKEN_HOLDERS)
def get_pair(pair_id: int, request: Request) -> dict[str, Any]:
    return _state(request).store.get_pair(pair_id)


@router.post("/pairs", status_code=201, dependencies=RESEARCHERS)
def add_pairs(body: PairsIn, request: Request) -> JSONResponse:
    return _created(_state(request).store.add_pairs(body.task_id, body.pairs, body.round_id, body.source))


# -- trajectories, artifacts, videos ----------------------------------------------------------
@router.put("/artifacts/{name:path}", dependencies=WORKERS)
async def put_artifact(name: str, request: Request) -> dict[str, Any]:
    st = _state(request)
    st.artifacts.path(name)  # validate before reading the body
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_UPLOAD_BYTES:
            raise Invalid(f"artifact larger than {MAX_UPLOAD_BYTES} bytes")
    st.artifacts.write(name, bytes(data))
    return {"name": name, "bytes": len(data)}


@router.get("/artifacts/{name:path}", dependencies=TOKEN_HOLDERS)
def get_artifact(name: str, request: Request) -> FileResponse:
    path = _state(request).artifacts.existing(name)
    return FileResponse(path, media_type="video/mp4" if name.endswith(".mp4") else "application/octet-stream")


@router.post("/trajectories", status_code=201, dependencies=WORKERS)
def add_trajectory(body: TrajectoryIn, request: Request) -> JSONResponse:
    st = _state(request)
    return _created(register_artifact(st.store, st.artifacts, body.id, st.store.get_task(body.task_id),
                                      body.round_id, body.latent_id))


@router.get("/trajectories", dependencies=TOKEN_HOLDERS)
def list_trajectories(request: Request, task_id: int, round_id: int | None = None) -> list[dict[str, Any]]:
    return _state(request).store.list_trajectories(task_id, round_id)


@router.get("/trajectories/{traj_id:path}", dependencies=TOKEN_HOLDERS)
def get_trajectory(traj_id: str, request: Request) -> dict[str, Any]:
    return _state(request).store.get_trajectory(check_id(traj_id, "trajectory id"))


@router.get("/videos/{name:path}")
def get_video(name: str, request: Request) -> FileResponse:
    st = _state(request)
    if not name.endswith(".mp4"):
        raise Invalid(f"invalid video name {name!r}: expected <trajectory id>.mp4")
    traj_id = check_id(name[:-4], "trajectory id")
    st.store.get_trajectory(traj_id)
    return FileResponse(st.videos.get(traj_id), media_type="video/mp4",
                        headers={"Cache-Control": "public, max-age=31536000, immutable"})


# -- latents and rounds -----------------------------------------------------------------------
@router.post("/latents", status_code=201, dependencies=RESEARCHERS)
def add_latent(body: LatentIn, request: Request) -> JSONResponse:
    return _created(_state(request).store.add_latent(body.task_id, body.vector, body.source, body.parent_id, body.meta))


@router.get("/latents/{latent_id}", dependencies=TOKEN_HOLDERS)
def get_latent(latent_id: int, request: Request) -> dict[str, Any]:
    return _state(request).store.get_latent(latent_id)


@router.get("/tasks/{task_id}/latents", dependencies=TOKEN_HOLDERS)
def list_latents(task_id: int, request: Request) -> list[dict[str, Any]]:
    return _state(request).store.list_latents(task_id)


@router.post("/rounds", status_code=201, dependencies=RESEARCHERS)
def create_round(body: RoundIn, request: Request) -> JSONResponse:
    return _created(_state(request).store.create_round(body.task_id, body.latent_id))


@router.get("/tasks/{task_id}/rounds", dependencies=TOKEN_HOLDERS)
def list_rounds(task_id: int, request: Request) -> list[dict[str, Any]]:
    return _state(request).store.list_rounds(task_id)


# -- jobs -------------------------------------------------------------------------------------
@router.post("/jobs", status_code=201, dependencies=RESEARCHERS)
def enqueue_job(body: JobIn, request: Request) -> JSONResponse:
    return _created(_state(request).store.enqueue_job(body.kind, body.task_id, body.payload, body.max_attempts))


@router.get("/jobs", dependencies=TOKEN_HOLDERS)
def list_jobs(request: Request, status: str | None = None, kind: str | None = None,
              task_id: int | None = None) -> list[dict[str, Any]]:
    return _state(request).store.list_jobs(status, kind, task_id)


@router.get("/jobs/{job_id}", dependencies=TOKEN_HOLDERS)
def get_job(job_id: int, request: Request) -> dict[str, Any]:
    return _state(request).store.get_job(job_id)

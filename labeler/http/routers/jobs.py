"""Jobs: queueing and reading [researcher|worker], the worker protocol [worker], their logs [researcher].

  POST /api/jobs/claim {"worker", "kinds"?, "info"?} -> {"job": Job|null, "lease": token|null}
  POST /api/jobs/{id}/heartbeat {"worker", "lease", "progress"?, "message"?, "logs"?}  (409: no longer yours)
  PUT  /api/jobs/{id}/artifacts/{name}   X-PGT-Lease: token   body: the file (a header: URLs end up in logs)
  POST /api/jobs/{id}/complete {"worker", "lease", "result"}   (a repeat after a lost answer is fine)
  POST /api/jobs/{id}/fail {"worker", "lease", "error", "retry"?, "logs"?}
  GET  /api/researcher/jobs/{id}/logs?after_id=0   [researcher] what the job's attempts logged

Leases: each claim hands out a random token for that attempt; a job whose worker sent no heartbeat
for `job_stale_s` goes back to the queue on the next claim, and the dead worker's late heartbeat,
upload or completion then gets 409 because its token no longer holds the job, so a result is only
ever taken once, and nobody else can report for a worker by naming it. After every completion or
failure the rounds are reconciled, which applies the result.
"""
from __future__ import annotations

from fastapi import APIRouter, Header, Request

from labeler.http.auth import RESEARCHERS, TOKEN_HOLDERS, WORKERS
from labeler.http.deps import State
from labeler.http.routers.artifacts import store_upload
from labeler.http.schemas.common import ERRORS
from labeler.http.schemas.jobs import Claimed, ClaimIn, CompleteIn, FailIn, HeartbeatIn, Job, JobIn, JobLog
from labeler.http.schemas.trajectories import ArtifactStored
from labeler.identifiers import check_name

router = APIRouter(prefix="/api", tags=["jobs"], responses=ERRORS)


@router.post("/jobs", status_code=201, response_model=Job, dependencies=RESEARCHERS)
def enqueue_job(body: JobIn, st: State) -> dict:
    return st.store.jobs.enqueue(body.kind, body.task_id, body.payload, body.max_attempts)


@router.get("/jobs", response_model=list[Job], dependencies=TOKEN_HOLDERS)
def list_jobs(st: State, status: str | None = None, kind: str | None = None, task_id: int | None = None) -> list[dict]:
    return st.store.jobs.list(status, kind, task_id)


@router.post("/jobs/claim", response_model=Claimed, dependencies=WORKERS)
def claim(body: ClaimIn, st: State) -> dict:
    name = check_name(body.worker, "worker name", fold_case=False)
    job = st.store.jobs.claim(name, body.kinds, st.config.job_stale_s)
    st.rounds.reconcile()  # the claim may have failed stale jobs for good
    st.workers.saw(name, job["id"] if job else None, body.info)
    return {"job": job, "lease": job.pop("lease") if job else None}


@router.get("/jobs/{job_id}", response_model=Job, dependencies=TOKEN_HOLDERS)
def get_job(job_id: int, st: State) -> dict:
    return st.store.jobs.get(job_id)


@router.post("/jobs/{job_id}/heartbeat", response_model=Job, dependencies=WORKERS)
@router.post("/jobs/{job_id}/progress", response_model=Job, dependencies=WORKERS, include_in_schema=False)
def heartbeat(job_id: int, body: HeartbeatIn, st: State) -> dict:
    job = st.store.jobs.heartbeat(job_id, body.lease, body.progress, body.message)
    if body.logs:
        st.store.jobs.add_logs(job_id, job["attempts"], body.worker, body.logs)
    st.workers.saw(body.worker, job_id)
    return job


@router.put("/jobs/{job_id}/artifacts/{name}", response_model=ArtifactStored, dependencies=WORKERS)
async def upload(job_id: int, name: str, request: Request, st: State,
                 lease: str = Header(alias="x-pgt-lease", description="the attempt's lease token")) -> dict:
    st.store.jobs.running_under(job_id, lease)
    return await store_upload(st, name, request)


@router.post("/jobs/{job_id}/complete", response_model=Job, dependencies=WORKERS)
def complete(job_id: int, body: CompleteIn, st: State) -> dict:
    job = st.store.jobs.get(job_id)
    if job["status"] == "done" and st.store.jobs.holds(job, body.lease):
        return job  # a repeat after a lost answer: already taken, nothing to do
    job = st.store.jobs.complete(job_id, body.lease, body.result)
    st.workers.saw(body.worker)
    st.rounds.reconcile()
    return job


@router.post("/jobs/{job_id}/fail", response_model=Job, dependencies=WORKERS)
def fail(job_id: int, body: FailIn, st: State) -> dict:
    job = st.store.jobs.running_under(job_id, body.lease)
    if body.logs:
        st.store.jobs.add_logs(job_id, job["attempts"], body.worker, body.logs)
    job = st.store.jobs.fail(job_id, body.lease, body.error, body.retry)
    st.store.jobs.add_logs(job_id, job["attempts"], body.worker,
                           [f"FAILED ({'will retry' if job['status'] == 'queued' else 'final'}): {body.error}"])
    st.workers.saw(body.worker)
    st.rounds.reconcile()
    return job


@router.get("/researcher/jobs/{job_id}/logs", response_model=list[JobLog], dependencies=RESEARCHERS)
def job_logs(job_id: int, st: State, after_id: int = 0) -> list[dict]:
    st.store.jobs.get(job_id)
    return st.store.jobs.logs(job_id, after_id)

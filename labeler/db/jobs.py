"""The `jobs` table (work for workers: claim, heartbeat, complete, fail) and `job_logs`.

Leases: claiming a job (one attempt) hands out a random lease token; heartbeats, uploads, results
and failures count only with it, so nobody can act for a worker by naming it. A running job whose
worker sent no heartbeat for `stale_after_s` goes back to the queue on the next claim (attempts + 1;
failed for good after max_attempts), and the old token stops working. Jobs run inside the app
process (worker 'app:...') live and die with it and are failed at startup instead (`abandon`).
"""
from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any, Sequence

from labeler.db.database import Database
from labeler.db.tasks import TaskRepo
from labeler.errors import Conflict, Invalid
from labeler.identifiers import check_name

JOB_STATUSES = ("queued", "running", "done", "failed", "cancelled")
MAX_LOG_LINES = 200  # per request
MAX_LOG_CHARS = 2000  # per line
BACKGROUND = -1  # the priority of work nobody waits for yet


def _lease() -> tuple[str, str]:
    token = secrets.token_urlsafe(24)
    return token, _hash(token)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _with_lease(row: dict[str, Any] | None, token: str) -> dict[str, Any] | None:
    if row is not None:
        row["lease"] = token
    return row


class JobRepo:
    def __init__(self, db: Database, tasks: TaskRepo) -> None:
        self.db, self.tasks = db, tasks

    def enqueue(self, kind: str, task_id: int | None = None, payload: dict[str, Any] | None = None,
                max_attempts: int = 3, worker: str | None = None, priority: int = 0) -> dict[str, Any]:
        """Queue a job; with `worker` it starts out claimed by that worker (in-process jobs). Workers claim the
        highest `priority` first, oldest first within one (BACKGROUND: only when nothing else waits)."""
        if not kind or len(kind) > 64:
            raise Invalid("job kind must be 1-64 characters")
        with self.db.lock:
            if task_id is not None:
                self.tasks.get(task_id)
            if worker is None:
                return self.db.one(
                    "INSERT INTO jobs (kind, task_id, payload, max_attempts, priority) VALUES (?, ?, ?, ?, ?) "
                    "RETURNING *", [kind, task_id, json.dumps(payload or {}), int(max_attempts), int(priority)],
                )
            token, digest = _lease()
            return _with_lease(self.db.one(
                """INSERT INTO jobs (kind, task_id, payload, max_attempts, status, worker, attempts, claimed_at,
                     heartbeat_at, lease_hash) VALUES (?, ?, ?, ?, 'running', ?, 1, now(), now(), ?) RETURNING *""",
                [kind, task_id, json.dumps(payload or {}), int(max_attempts), worker, digest],
            ), token)

    def get(self, job_id: int) -> dict[str, Any]:
        return self.db.by_id("jobs", int(job_id), "job")

    def list(self, status: str | None = None, kind: str | None = None, task_id: int | None = None,
             limit: int = 200) -> list[dict[str, Any]]:
        where, params = ["TRUE"], []
        for col, val in (("status", status), ("kind", kind), ("task_id", task_id)):
            if val is not None:
                where.append(f"{col} = ?")
                params.append(val)
        params.append(int(limit))
        return self.db.query(f"SELECT * FROM jobs WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?", params)

    def requeue_stale(self, stale_after_s: float) -> int:
        """Running jobs whose worker stopped heartbeating go back to the queue (or fail when out of attempts)."""
        rows = self.db.query(
            f"""UPDATE jobs SET
                  status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
                  error = 'worker ' || coalesce(worker, '?') || ' stopped heartbeating',
                  worker = NULL, lease_hash = NULL,
                  finished_at = CASE WHEN attempts >= max_attempts THEN now() ELSE NULL END
                WHERE status = 'running' AND worker NOT LIKE 'app:%'
                  AND heartbeat_at < now() - INTERVAL {float(stale_after_s)} SECOND
                RETURNING id"""
        )
        return len(rows)

    def claim(self, worker: str, kinds: Sequence[str] | None = None, stale_after_s: float = 60.0
              ) -> dict[str, Any] | None:
        """Atomically hand the first queued job (of `kinds`, if given) to `worker`; None when there is none.

        The job comes back with its attempt's lease token under "lease" (this is the only time it is readable)."""
        worker = check_name(worker, "worker name", fold_case=False)
        with self.db.lock:
            self.requeue_stale(stale_after_s)
            params: list[Any] = []
            where = "status = 'queued'"
            if kinds:
                where += f" AND kind IN ({', '.join('?' for _ in kinds)})"
                params.extend(kinds)
            row = self.db.one(f"SELECT id FROM jobs WHERE {where} ORDER BY coalesce(priority, 0) DESC, id LIMIT 1",
                              params)
            if row is None:
                return None
            token, digest = _lease()
            return _with_lease(self.db.one(
                """UPDATE jobs SET status = 'running', worker = ?, attempts = attempts + 1, claimed_at = now(),
                     heartbeat_at = now(), progress = 0, error = NULL, lease_hash = ? WHERE id = ? RETURNING *""",
                [worker, digest, row["id"]],
            ), token)

    def holds(self, job: dict[str, Any], lease: str | None) -> bool:
        """Whether `lease` is the token of the job's current (or last) attempt."""
        return bool(lease and job.get("lease_hash")) and secrets.compare_digest(_hash(lease), job["lease_hash"])

    def running_under(self, job_id: int, lease: str | None) -> dict[str, Any]:
        """The job, if it is running under this lease; Conflict (abandon it) otherwise."""
        job = self.get(job_id)
        if job["status"] != "running" or not self.holds(job, lease):
            raise Conflict(f"job {job_id} is not running under this lease (status {job['status']}); abandon it")
        return job

    def heartbeat(self, job_id: int, lease: str | None, progress: float | None = None, message: str | None = None
                  ) -> dict[str, Any]:
        """Keep a claim alive and report progress in [0, 1]; Conflict means the job was taken away."""
        with self.db.lock:
            job = self.running_under(job_id, lease)
            p = job["progress"] if progress is None else min(1.0, max(0.0, float(progress)))
            m = job["message"] if message is None else str(message)[:500]
            return self.db.one(
                "UPDATE jobs SET heartbeat_at = now(), progress = ?, message = ? WHERE id = ? RETURNING *",
                [p, m, int(job_id)])

    def complete(self, job_id: int, lease: str | None, result: dict[str, Any] | None = None) -> dict[str, Any]:
        with self.db.lock:
            self.running_under(job_id, lease)
            return self.db.one(
                """UPDATE jobs SET status = 'done', progress = 1, result = ?, finished_at = now(), heartbeat_at = now()
                   WHERE id = ? RETURNING *""",
                [json.dumps(result or {}), int(job_id)],
            )

    def fail(self, job_id: int, lease: str | None, error: str, retry: bool = True) -> dict[str, Any]:
        """Record a failure; the job is queued again while attempts remain and `retry` is set."""
        with self.db.lock:
            return self._end(self.running_under(job_id, lease), error, retry)

    def abandon(self, job_id: int, error: str, retry: bool = True) -> dict[str, Any]:
        """The app's own verdict on a running job whose worker it knows is gone (no lease needed)."""
        with self.db.lock:
            job = self.get(job_id)
            if job["status"] != "running":
                raise Conflict(f"job {job_id} is {job['status']}, not running")
            return self._end(job, error, retry)

    def cancel(self, job_id: int, why: str) -> dict[str, Any]:
        """Stop a queued or running job for good: its worker's next heartbeat is refused, so it abandons the run."""
        with self.db.lock:
            job = self.get(job_id)
            if job["status"] not in ("queued", "running"):
                return job
            return self.db.one("""UPDATE jobs SET status = 'cancelled', error = ?, lease_hash = NULL,
                                    finished_at = now() WHERE id = ? RETURNING *""", [str(why)[:2000], int(job_id)])

    def _end(self, job: dict[str, Any], error: str, retry: bool) -> dict[str, Any]:
        again = retry and job["attempts"] < job["max_attempts"]
        return self.db.one(
            """UPDATE jobs SET status = ?, error = ?, worker = CASE WHEN ? THEN NULL ELSE worker END,
                 lease_hash = CASE WHEN ? THEN NULL ELSE lease_hash END,
                 finished_at = CASE WHEN ? THEN NULL ELSE now() END WHERE id = ? RETURNING *""",
            ["queued" if again else "failed", str(error)[:2000], again, again, again, int(job["id"])],
        )

    # -- logs ---------------------------------------------------------------------------------
    def add_logs(self, job_id: int, attempt: int, worker: str | None, lines: Sequence[str]) -> int:
        kept = [str(x)[:MAX_LOG_CHARS] for x in list(lines)[:MAX_LOG_LINES] if str(x).strip()]
        with self.db.transaction():
            for line in kept:
                self.db.execute("INSERT INTO job_logs (job_id, attempt, worker, message) VALUES (?, ?, ?, ?)",
                                [int(job_id), int(attempt), worker, line])
        return len(kept)

    def logs(self, job_id: int, after_id: int = 0, limit: int = 500) -> list[dict[str, Any]]:
        return self.db.query("SELECT * FROM job_logs WHERE job_id = ? AND id > ? ORDER BY id LIMIT ?",
                             [int(job_id), int(after_id), int(limit)])

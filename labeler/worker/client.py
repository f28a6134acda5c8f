"""The worker's side of the job protocol: claim, heartbeat, upload, complete, fail (worker token).

Every write goes with the claimed attempt's lease token: the worker token alone writes nothing. A
worker hands over trajectories (.npz) only; the app makes their videos itself.

Reporting calls (complete, fail, uploads) retry for a while (labeler.api_client), heartbeats do
not (the next one is seconds away), and a 409 always means the app gave the job to someone else,
so the worker must abandon it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from labeler.api_client import ApiClient, ApiConflict, AppUnreachable, TokenRefused, check
from pgt_core.atomic import atomic_path

JobLost = ApiConflict  # 409: the job is no longer this worker's (lease expired, requeued or reassigned)
__all__ = ["AppUnreachable", "JobLost", "TokenRefused", "WorkerClient"]


class WorkerClient(ApiClient):
    def __init__(self, url: str, token: str, timeout: float = 120.0, retry_for: float = 120.0) -> None:
        super().__init__(url, token=token, timeout=timeout, retry_for=retry_for)

    def claim(self, worker: str, kinds: list[str] | None = None, info: dict[str, Any] | None = None
              ) -> dict[str, Any] | None:
        """The claimed job with its attempt's lease token under "lease", or None when the queue is empty."""
        body = {"worker": worker, "kinds": kinds, "info": info or {}}
        got = self.post("/api/jobs/claim", body, retry=False)
        return None if got["job"] is None else {**got["job"], "lease": got["lease"]}

    def heartbeat(self, job: dict[str, Any], worker: str, progress: float | None = None, message: str | None = None,
                  logs: list[str] | None = None) -> dict[str, Any]:
        body = {"worker": worker, "lease": job["lease"], "progress": progress, "message": message, "logs": logs or []}
        return self.post(f"/api/jobs/{job['id']}/heartbeat", body, retry=False)

    def complete(self, job: dict[str, Any], worker: str, result: dict[str, Any]) -> dict[str, Any]:
        return self.post(f"/api/jobs/{job['id']}/complete", {"worker": worker, "lease": job["lease"], "result": result})

    def fail(self, job: dict[str, Any], worker: str, error: str, retry: bool, logs: list[str] | None = None
             ) -> dict[str, Any]:
        return self.post(f"/api/jobs/{job['id']}/fail", {"worker": worker, "lease": job["lease"], "error": error,
                                                         "retry": retry, "logs": logs or []})

    def upload(self, job: dict[str, Any], path: Path) -> None:
        """Hand over one trajectory file (`<id>.npz`) for the job; the app checks it and stores it once."""
        with open(path, "rb") as f:
            self.call("PUT", f"/api/jobs/{job['id']}/artifacts/{Path(path).name}", content=f,
                      headers={"content-type": "application/octet-stream", "x-pgt-lease": job["lease"]})

    def download(self, name: str, dest: Path) -> Path:
        """Fetch an artifact into `dest` (atomically); an existing file is reused."""
        dest = Path(dest)
        if dest.is_file():
            return dest
        resp = self.request("GET", f"/api/artifacts/{name}")
        if resp.status_code != 200:
            check(resp)
        with atomic_path(dest) as tmp:
            tmp.write_bytes(resp.content)
        return dest

"""The worker's side of the job protocol: HTTP calls to the app with the worker token.

Why retries live here: a worker on a GPU machine outlives app restarts, so reporting calls
(complete, fail, uploads) retry with backoff for a while instead of throwing away finished
work; heartbeats do not retry (the next one is seconds away), and a 409 always means the
app gave the job to someone else, so the worker must abandon it.
"""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx


class AppUnreachable(Exception):
    """The app did not answer (down, restarting, wrong URL)."""


class JobLost(Exception):
    """409: the job is no longer this worker's (lease expired and it was requeued or reassigned)."""


class TokenRefused(Exception):
    """403: the worker token is wrong."""


class WorkerClient:
    def __init__(self, url: str, token: str, timeout: float = 120.0, retry_for: float = 120.0) -> None:
        self.url = url.rstrip("/")
        self.retry_for = retry_for
        self.http = httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout)

    def close(self) -> None:
        self.http.close()

    def _call(self, method: str, path: str, retry: bool = True, **kwargs: Any) -> httpx.Response:
        deadline = time.monotonic() + (self.retry_for if retry else 0.0)
        delay = 0.5
        while True:
            try:
                resp = self.http.request(method, path, **kwargs)
                if resp.status_code < 500 or time.monotonic() >= deadline:
                    return resp
            except httpx.TransportError as exc:
                if time.monotonic() >= deadline:
                    raise AppUnreachable(f"{method} {self.url}{path}: {exc}") from exc
            time.sleep(delay)
            delay = min(delay * 2, 5.0)

    @staticmethod
    def _json(resp: httpx.Response) -> Any:
        if resp.status_code == 409:
            raise JobLost(resp.json().get("detail", resp.text))
        if resp.status_code == 403:
            raise TokenRefused(resp.json().get("detail", resp.text))
        if resp.status_code >= 400:
            detail = resp.json().get("detail", resp.text) if resp.headers.get("content-type", "").startswith(
                "application/json") else resp.text
            raise RuntimeError(f"{resp.request.method} {resp.request.url.path} -> {resp.status_code}: {detail}")
        return resp.json()

    # -- protocol -----------------------------------------------------------------------------
    def claim(self, worker: str, kinds: list[str] | None = None, info: dict[str, Any] | None = None
              ) -> dict[str, Any] | None:
        body = {"worker": worker, "kinds": kinds, "info": info or {}}
        return self._json(self._call("POST", "/api/jobs/claim", retry=False, json=body))["job"]

    def heartbeat(self, job_id: int, worker: str, progress: float | None = None, message: str | None = None,
                  logs: list[str] | None = None) -> dict[str, Any]:
        body = {"worker": worker, "progress": progress, "message": message, "logs": logs or []}
        return self._json(self._call("POST", f"/api/jobs/{job_id}/heartbeat", retry=False, json=body))

    def complete(self, job_id: int, worker: str, result: dict[str, Any]) -> dict[str, Any]:
        return self._json(self._call("POST", f"/api/jobs/{job_id}/complete", json={"worker": worker, "result": result}))

    def fail(self, job_id: int, worker: str, error: str, retry: bool, logs: list[str] | None = None) -> dict[str, Any]:
        body = {"worker": worker, "error": error, "retry": retry, "logs": logs or []}
        return self._json(self._call("POST", f"/api/jobs/{job_id}/fail", json=body))

    def upload(self, job_id: int, worker: str, path: Path) -> None:
        """Hand over one artifact (`<id>.npz` or `<id>.mp4`); the app writes it atomically."""
        data = Path(path).read_bytes()
        self._json(self._call("PUT", f"/api/jobs/{job_id}/artifacts/{Path(path).name}", params={"worker": worker},
                              content=data, headers={"content-type": "application/octet-stream"}))

    def download(self, name: str, dest: Path) -> Path:
        """Fetch an artifact into `dest` (atomically); an existing file is reused."""
        dest = Path(dest)
        if dest.is_file():
            return dest
        resp = self._call("GET", f"/api/artifacts/{name}")
        if resp.status_code != 200:
            self._json(resp)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as f:
            f.write(resp.content)
        os.replace(tmp, dest)
        return dest

"""Helpers for the round / worker / researcher tests: the app in a child process, a researcher client.

Tiny budgets throughout (2 CPUs shared with others): an untrained policy (the app and its
workers are pointed at a checkpoint that does not exist), 20-step tasks, a handful of
episodes, 3 epochs.
"""
from __future__ import annotations

import time
import zlib
from pathlib import Path
from typing import Any

from labeler.api_client import ApiClient
from labeler.files.tokens import Tokens
from tests.support.app_process import AppProcess

TINY = {"round_size": 6, "pairs_per_traj": 3, "epochs": 3, "eval_episodes": 4, "review_videos": 2, "batch_size": 6}


def app_args(data_dir: Path, *extra: str, stale_s: float = 30.0) -> list[str]:
    return ["--no-bootstrap", "--no-ui", "--checkpoint", str(Path(data_dir) / "no-checkpoint.pt"),
            "--worker-threads", "1", "--worker-env-workers", "0", "--job-stale-s", str(stale_s), *extra]


def start_app(data_dir: Path, *extra: str, stale_s: float = 30.0) -> AppProcess:
    return AppProcess(data_dir, app_args(data_dir, *extra, stale_s=stale_s), startup_timeout=180).start()


def teacher_score(traj: dict[str, Any]) -> float:
    """Reward first; an untrained policy rarely succeeds in 20 steps, so a fixed arbitrary order
    (a hash of the id) breaks ties and the teacher still gives decisive labels."""
    return float(traj["reward"]) + (zlib.crc32(traj["id"].encode()) % 1000) / 1e4


class Researcher:
    """The researcher API over HTTP with the researcher token."""

    def __init__(self, url: str, data_dir: Path) -> None:
        self.url = url
        self.token = Tokens.load_or_create(data_dir).researcher
        self.api = ApiClient(url, token=self.token, timeout=120)
        self.http = self.api.http

    def __call__(self, method: str, path: str, expect: int | None = None, **kw: Any) -> Any:
        r = self.api.request(method, "/api/researcher" + path, retry=False, **kw)
        if expect is not None:
            assert r.status_code == expect, (r.status_code, r.text)
        elif r.status_code >= 400:
            raise AssertionError(f"{method} {path} -> {r.status_code}: {r.text}")
        return r.json()

    def create_task(self, name: str, achievement: str = "collect_wood", prompt_task: str = "collect_wood",
                    max_steps: int = 20) -> dict[str, Any]:
        return self("POST", "/tasks", 201, json={"name": name, "achievement": achievement, "max_steps": max_steps,
                                                 "prompt": {"kind": "task", "task": prompt_task}})

    def task(self, task_id: int) -> dict[str, Any]:
        return self("GET", f"/tasks/{task_id}")

    def round(self, task_id: int, round_id: int) -> dict[str, Any]:
        return next(r for r in self.task(task_id)["rounds"] if r["id"] == round_id)

    def wait_round(self, task_id: int, round_id: int, statuses: tuple[str, ...],
                   timeout: float = 240) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            rnd = self.round(task_id, round_id)
            if rnd["status"] in statuses:
                return rnd
            if time.monotonic() > deadline:
                raise TimeoutError(f"round {round_id} still {rnd['status']} ({rnd['job']}) after {timeout}s")
            time.sleep(0.4)

    def active_vector(self, task_id: int) -> list[float]:
        active = self.task(task_id)["active_latent_id"]
        return self.http.get(f"/api/latents/{active}").json()["vector"]

    def close(self) -> None:
        self.http.close()


def proof_headers(page: Any) -> dict[str, str]:
    """What the app's own pages send with each API request besides the cookie: the session's proof, which the login
    page keeps in localStorage (for requests a test makes beside a logged-in page, e.g. `page.request.get`)."""
    return {"X-PGT-Proof": page.evaluate("localStorage.getItem('pgt-proof')")}


def login_url(app_url: str, data_dir: Path) -> str:
    """A fresh one-time researcher login link (minted with the researcher token, as `pgt-studio --login-link`)."""
    api = ApiClient(app_url, token=Tokens.load_or_create(data_dir).researcher)
    try:
        return app_url + api.post("/api/session/links")["url"]
    finally:
        api.close()

"""The worker the app starts beside itself (a `Service`): a child process, restarted if it dies.

Why a child process and not a thread: tuning and rollouts hold the GIL for long stretches and
may crash (out of memory); in a separate process they never stall the UI or take the store
down, and the child talks to the app over HTTP exactly like a worker on another machine.

The child gets the worker token through its environment (not its command line, which other
users can read), exits when the app does (`--parent-pid`), and is restarted by a supervisor
thread if it dies (e.g. kill -9): its job then comes back when its lease runs out. On start,
jobs still marked as running under a previous app's local worker are requeued at once --
that worker died with its app.
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from labeler.auth import Tokens
from labeler.process import REPO_ROOT

log = logging.getLogger(__name__)
NAME = "local"  # worker names are "local:<pid>:<random>"


class LocalWorker:
    def __init__(self, device: str = "auto", threads: int = 0, heartbeat_s: float = 2.0,
                 restart_delay_s: float = 2.0) -> None:
        self.device, self.threads, self.heartbeat_s = device, threads, heartbeat_s
        self.restart_delay_s = restart_delay_s
        self.proc: subprocess.Popen | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, state: Any, base_url: str) -> None:
        self._requeue_orphans(state)
        data_dir = Path(state.config.data_dir)
        env = {**os.environ, "PGT_WORKER_TOKEN": Tokens.load_or_create(data_dir).worker, "PYTHONUNBUFFERED": "1"}
        cmd = [sys.executable, "-m", "labeler.worker", "--url", base_url, "--name", NAME, "--device", self.device,
               "--threads", str(self.threads), "--parent-pid", str(os.getpid()), "--heartbeat", str(self.heartbeat_s),
               "--work-dir", str(data_dir / "worker")]
        log_path = data_dir / "worker.log"
        self._thread = threading.Thread(target=self._supervise, args=(cmd, env, log_path), name="pgt-local-worker",
                                        daemon=True)
        self._thread.start()

    @staticmethod
    def _requeue_orphans(state: Any) -> None:
        for job in state.store.list_jobs(status="running", limit=10_000):
            if (job["worker"] or "").startswith(f"{NAME}:"):
                state.store.fail_job(job["id"], job["worker"], "the app restarted while its local worker ran this job")

    def _supervise(self, cmd: list[str], env: dict[str, str], log_path: Path) -> None:
        while not self._stop.is_set():
            with open(log_path, "ab") as out:
                self.proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
            if self._stop.is_set():  # stop() ran while we were spawning
                self.proc.terminate()
            rc = self.proc.wait()
            if self._stop.is_set():
                return
            log.warning("local worker exited with %s; restarting in %.0fs (log: %s)", rc, self.restart_delay_s, log_path)
            self._stop.wait(self.restart_delay_s)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._thread is not None:
            self._thread.join(timeout)

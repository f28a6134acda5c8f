"""The worker the app starts beside itself (a `Service`): a child process, restarted if it dies.

Why a child process and not a thread: tuning and rollouts hold the GIL for long stretches and
may crash (out of memory); in a separate process they never stall the UI or take the store
down, and the child talks to the app over HTTP exactly like a worker on another machine.

The child gets the worker token through its environment (not its command line, which other
users can read), exits when the app does (`--parent-pid`), and is restarted by a supervisor
thread if it dies (e.g. kill -9). The supervisor knows the dead child's name (worker names are
`local:<pid>:<random>` and the pid is its child's), so before starting the replacement it
requeues the jobs the dead one was running at once (attempts count as usual) instead of
leaving them to the lease timeout (`--job-stale-s`, 60 s). On start, jobs still marked as
running under a previous app's local worker are requeued at once too -- that worker died
with its app.
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from labeler.db.store import Store
from labeler.errors import Conflict
from labeler.files.tokens import Tokens

log = logging.getLogger(__name__)
NAME = "local"  # worker names are "local:<pid>:<random>"
# The child imports the same `labeler` as this process, wherever it is installed or checked out.
IMPORT_ROOT = str(Path(__file__).resolve().parents[2])


class LocalWorker:
    def __init__(self, device: str = "auto", threads: int = 0, heartbeat_s: float = 2.0,
                 restart_delay_s: float = 2.0, env_workers: int | None = None) -> None:
        self.device, self.threads, self.heartbeat_s = device, threads, heartbeat_s
        self.env_workers = env_workers
        self.restart_delay_s = restart_delay_s
        self.proc: subprocess.Popen | None = None
        self._store: Store | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def command(self, base_url: str, data_dir: Path) -> list[str]:
        """The child's command line; it names itself `local:<its pid>:<random>` (labeler.worker)."""
        return [sys.executable, "-m", "labeler.worker", "--url", base_url, "--name", NAME, "--device", self.device,
                "--threads", str(self.threads), "--parent-pid", str(os.getpid()), "--heartbeat", str(self.heartbeat_s),
                "--work-dir", str(data_dir / "worker"),
                *(["--env-workers", str(self.env_workers)] if self.env_workers is not None else [])]

    def start(self, store: Store, data_dir: Path, base_url: str) -> None:
        self._store = store
        self._requeue(f"{NAME}:", "the app restarted while its local worker ran this job")
        data_dir = Path(data_dir)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [IMPORT_ROOT, os.environ.get("PYTHONPATH")])),
               "PGT_WORKER_TOKEN": Tokens.load_or_create(data_dir).worker, "PYTHONUNBUFFERED": "1"}
        log_path = data_dir / "worker.log"
        self._thread = threading.Thread(target=self._supervise, args=(self.command(base_url, data_dir), env, log_path),
                                        name="pgt-local-worker", daemon=True)
        self._thread.start()

    def _requeue(self, worker_prefix: str, why: str) -> list[int]:
        """Hand back (queued again, or failed when out of attempts) every running job of `worker_prefix*` workers."""
        store, requeued = self._store, []
        assert store is not None, "start() first"
        for job in store.jobs.list(status="running", limit=10_000):
            if not (job["worker"] or "").startswith(worker_prefix):
                continue
            try:
                after = store.jobs.abandon(job["id"], why)
            except Conflict:  # finished or taken over in the meantime
                continue
            state = "will retry" if after["status"] == "queued" else "final"
            store.jobs.add_logs(job["id"], job["attempts"], job["worker"], [f"FAILED ({state}): {why}"])
            requeued.append(job["id"])
        return requeued

    def _supervise(self, cmd: list[str], env: dict[str, str], log_path: Path) -> None:
        while not self._stop.is_set():
            with open(log_path, "ab") as out:
                self.proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
            if self._stop.is_set():  # stop() ran while we were spawning
                self.proc.terminate()
            rc = self.proc.wait()
            if self._stop.is_set():
                return
            # Nothing runs under the dead child's name any more: its jobs go back to the queue now.
            try:
                jobs = self._requeue(f"{NAME}:{self.proc.pid}:", f"local worker (pid {self.proc.pid}) exited with {rc}")
            except Exception:  # noqa: BLE001 - the lease timeout still catches them; keep supervising
                log.exception("requeueing the dead local worker's jobs failed")
                jobs = []
            log.warning("local worker exited with %s; requeued job(s) %s; restarting in %.0fs (log: %s)",
                        rc, jobs or "none", self.restart_delay_s, log_path)
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

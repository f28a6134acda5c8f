"""One worker's loop: claim a tune / rollout / evaluate job from the app, run it, report, repeat.

Why it talks only HTTP: the app is the one process that may open the DuckDB file. The worker
downloads the trajectories it needs, writes what it makes into its own work directory and
uploads those files before reporting the result.

Reliability: a heartbeat thread renews the job's lease every few seconds and carries
progress and log lines. If the worker dies (kill -9, machine lost), the lease runs out and the
app requeues the job for another worker, up to the job's max attempts. If the app answers
409 (the job was given to someone else meanwhile), the worker abandons its run, and the app
rejects any late completion from it. SIGTERM/SIGINT stop gracefully: the running job is
handed back for a retry at once.
"""
from __future__ import annotations

import logging
import os
import platform
import secrets
import shutil
import socket
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from labeler.domain import foundation
from labeler.worker import runners
from labeler.worker.client import AppUnreachable, JobLost, TokenRefused, WorkerClient

log = logging.getLogger("labeler.worker")
KINDS = ("rollout", "tune", "evaluate")


class JobAborted(Exception):
    """The run must stop: the job was taken away, or the worker is stopping."""


def _out_of_memory(exc: BaseException) -> bool:
    import torch

    return isinstance(exc, (MemoryError, torch.cuda.OutOfMemoryError))


def is_transient(exc: BaseException) -> bool:
    """Failures another attempt (maybe on another worker) could get past: memory, connectivity.

    Everything else (NaN loss, bad hyperparameters, a missing checkpoint) would fail again,
    so it fails the job at once with its error and the round keeps its previous latent.
    """
    return _out_of_memory(exc) or isinstance(exc, (AppUnreachable, ConnectionError))


def describe(exc: BaseException) -> str:
    if _out_of_memory(exc):
        return f"out of memory ({type(exc).__name__}): {exc}"
    return f"{type(exc).__name__}: {exc}"


class Run:
    """One job being run: progress, message and log lines shared with the heartbeat thread."""

    def __init__(self, worker: "Worker", job: dict[str, Any]) -> None:
        self.worker, self.job = worker, job
        self.fraction, self.message = 0.0, "starting"
        self.lost = threading.Event()
        self.finished = threading.Event()
        self._logs: list[str] = []
        self._lock = threading.Lock()

    def check(self) -> None:
        if self.lost.is_set():
            raise JobAborted("the app gave this job to another worker")
        if self.worker.stopping.is_set():
            raise JobAborted("the worker is stopping")

    def progress(self, fraction: float | None, message: str) -> None:
        self.check()
        with self._lock:
            if fraction is not None:
                self.fraction = min(1.0, max(0.0, float(fraction)))
            self.message = message

    def log(self, message: str) -> None:
        log.info("job %s: %s", self.job["id"], message)
        with self._lock:
            self._logs.append(f"{time.strftime('%H:%M:%S')} {message}")

    def drain(self) -> tuple[float, str, list[str]]:
        with self._lock:
            logs, self._logs = self._logs, []
            return self.fraction, self.message, logs

    def requeue_logs(self, logs: list[str]) -> None:
        with self._lock:
            self._logs[:0] = logs


class Worker:
    def __init__(self, url: str, token: str, *, name: str | None = None, kinds: tuple[str, ...] = KINDS,
                 device: str = "auto", work_dir: Path | None = None, checkpoint: str | None = None,
                 poll_s: float = 1.0, heartbeat_s: float = 2.0, parent_pid: int | None = None,
                 max_jobs: int = 0, idle_exit_s: float = 0.0, env_workers: int = 0) -> None:
        self.url, self.token = url, token
        self.name = f"{name or socket.gethostname()}:{os.getpid()}:{secrets.token_hex(2)}"
        self.kinds = list(kinds)
        self.device = runners.pick_device(device)
        self.work_dir = Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix="pgt-worker-"))
        self.checkpoint = checkpoint
        self.poll_s, self.heartbeat_s = poll_s, heartbeat_s
        self.parent_pid = parent_pid
        self.max_jobs, self.idle_exit_s = max_jobs, idle_exit_s
        self.env_workers = env_workers  # processes stepping environments in rollouts (0: the worker itself)
        self.client = WorkerClient(url, token)
        self.stopping = threading.Event()
        self.orphaned = False

    # -- identity and environment ---------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        import torch

        gpu = torch.cuda.get_device_name(0) if self.device.startswith("cuda") else None
        return {"device": self.device, "gpu": gpu, "host": socket.gethostname(), "pid": os.getpid(),
                "torch": torch.__version__, "threads": torch.get_num_threads(), "python": platform.python_version()}

    def _parent_gone(self) -> bool:
        if self.parent_pid and os.getppid() != self.parent_pid:
            self.orphaned = True
            self.stopping.set()
        return self.orphaned

    def policy(self, spec: dict[str, Any]) -> Any:
        """The frozen policy the job names ('untrained' or a checkpoint path; --checkpoint wins), on our device."""
        source = self.checkpoint or spec.get("policy") or foundation.policy_source()
        return foundation.load(source).policy.to(self.device)

    # -- main loop ------------------------------------------------------------------------------
    def run(self) -> int:
        log.info("worker %s on %s polling %s for %s", self.name, self.device, self.url, ", ".join(self.kinds))
        done, idle_since, delay = 0, time.monotonic(), self.poll_s
        try:
            while not self.stopping.is_set() and not self._parent_gone():
                try:
                    job = self.client.claim(self.name, self.kinds, self.info())
                    delay = self.poll_s
                except TokenRefused as exc:
                    log.error("the app refused the worker token: %s", exc)
                    return 2
                except (AppUnreachable, RuntimeError) as exc:
                    log.warning("cannot claim: %s", exc)
                    self.stopping.wait(delay)
                    delay = min(delay * 2, 10.0)
                    continue
                if job is None:
                    if self.idle_exit_s and time.monotonic() - idle_since > self.idle_exit_s:
                        break
                    self.stopping.wait(self.poll_s)
                    continue
                self.execute(job)
                done, idle_since = done + 1, time.monotonic()
                if self.max_jobs and done >= self.max_jobs:
                    break
        finally:
            self.client.close()
        return 0

    def execute(self, job: dict[str, Any]) -> None:
        run = Run(self, job)
        run.log(f"{job['kind']} job {job['id']} claimed by {self.name} on {self.device} "
                f"(attempt {job['attempts']}/{job['max_attempts']})")
        beat = threading.Thread(target=self._heartbeats, args=(run,), name=f"heartbeat-{job['id']}", daemon=True)
        beat.start()
        out_dir = self.work_dir / f"job-{job['id']}-{job['attempts']}"
        try:
            outcome = self.dispatch(job, run, out_dir)
            for k, path in enumerate(outcome.files):
                run.progress(0.9 + 0.1 * k / max(1, len(outcome.files)),
                             f"handing over {k + 1}/{len(outcome.files)} files")
                self.client.upload(job, path)
            run.progress(1.0, "done")
            self._stop_heartbeats(run, beat)
            self.client.complete(job, self.name, outcome.result)
            log.info("job %s done", job["id"])
        except (JobAborted, JobLost) as exc:
            self._stop_heartbeats(run, beat)
            if run.lost.is_set() or isinstance(exc, JobLost):
                log.warning("job %s abandoned: %s", job["id"], exc)
            elif not self.orphaned:
                self._report_failure(run, f"worker {self.name} stopped before finishing; retrying elsewhere", True)
        except BaseException as exc:  # noqa: BLE001 - every failure must reach the job row
            self._stop_heartbeats(run, beat)
            run.log("".join(traceback.format_exception(exc)).rstrip()[-4000:])
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                self._report_failure(run, f"worker {self.name} interrupted", True)
                raise
            self._report_failure(run, describe(exc), is_transient(exc))
        finally:
            shutil.rmtree(out_dir, ignore_errors=True)
            if self.device.startswith("cuda"):
                import torch

                torch.cuda.empty_cache()

    def dispatch(self, job: dict[str, Any], run: Run, out_dir: Path) -> runners.Outcome:
        spec, kind = job["payload"], job["kind"]
        run.progress(0.0, "loading the policy")
        policy = self.policy(spec)
        if kind == "rollout":
            return runners.run_rollout(spec, policy, out_dir, self.device, run, env_workers=self.env_workers)
        if kind == "evaluate":
            return runners.run_evaluate(spec, policy, out_dir, self.device, run, env_workers=self.env_workers)
        if kind == "tune":
            return runners.run_tune(spec, policy, self.fetch_trajectories(spec, run), self.device, run)
        raise ValueError(f"this worker cannot run {kind!r} jobs")

    def fetch_trajectories(self, spec: dict[str, Any], run: Run) -> dict[str, Any]:
        from pgt_core.trajectory import Trajectory

        wanted: dict[str, str] = spec["trajectories"]
        out = {}
        for k, (tid, artifact) in enumerate(sorted(wanted.items())):
            run.progress(0.0, f"fetching trajectories {k + 1}/{len(wanted)}")
            out[tid] = Trajectory.load(self.client.download(artifact, self.work_dir / "cache" / artifact))
        return out

    # -- heartbeats -----------------------------------------------------------------------------
    def _heartbeats(self, run: Run) -> None:
        client = WorkerClient(self.url, self.token, timeout=30.0)
        try:
            while not run.finished.wait(self.heartbeat_s):
                if self._parent_gone():
                    return
                self._beat(client, run)
        finally:
            client.close()

    def _beat(self, client: WorkerClient, run: Run) -> None:
        fraction, message, logs = run.drain()
        try:
            client.heartbeat(run.job, self.name, fraction, message, logs)
        except JobLost:
            run.lost.set()
        except (AppUnreachable, RuntimeError) as exc:
            log.warning("heartbeat for job %s failed: %s", run.job["id"], exc)
            run.requeue_logs(logs)

    def _stop_heartbeats(self, run: Run, beat: threading.Thread) -> None:
        """Stop the thread, then send what it had not sent yet (so the log is complete before the result)."""
        if run.finished.is_set():
            return
        run.finished.set()
        beat.join()
        if not run.lost.is_set() and not self.orphaned:
            self._beat(self.client, run)

    def _report_failure(self, run: Run, error: str, retry: bool) -> None:
        if self.orphaned:
            return
        if self.stopping.is_set():
            self.client.retry_for = 3.0  # the app may be shutting down too; do not hang on it
        _, _, logs = run.drain()
        try:
            self.client.fail(run.job, self.name, error, retry, logs)
            log.error("job %s failed (%s): %s", run.job["id"], "will retry" if retry else "final", error)
        except (JobLost, AppUnreachable, RuntimeError) as exc:
            log.error("could not report the failure of job %s: %s", run.job["id"], exc)

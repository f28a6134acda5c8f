"""First start: a default Crafter task with rollouts ready to label, built in a background thread.

Why in the background: the server must answer at once (the UI shows a progress bar from
the job row), while rolling out episodes, encoding videos and building pairs takes a
while on a CPU. Every step is idempotent and resumes where it stopped: trajectory ids
are derived from (task, round, seed), so a restart mid-bootstrap rolls out only the
missing seeds.

The job is an ordinary row in `jobs` (kind 'bootstrap', worker 'app:bootstrap'), so the
UI and the researcher view read its progress the same way as any worker's job.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

from labeler.artifacts import Artifacts
from labeler.config import AppConfig
from labeler.errors import Conflict
from labeler.ingest import ingest_trajectory, task_spec
from labeler.scheduling import build_label_pairs
from labeler.store import Store
from labeler.video import VideoCache
from pgt_core.rollout import collect_rollouts
from pgt_core.tasks import CRAFTER_TASKS

log = logging.getLogger(__name__)
WORKER = "app:bootstrap"
Progress = Callable[[float, str], None]


class Stopped(Exception):
    """The app is shutting down; the bootstrap resumes on the next start."""


def load_policy(checkpoint: Any = None) -> tuple[Any, str]:
    """The foundation bundle, or an untrained one (with a loud warning) while none is shipped yet."""
    from pgt_core.policy.checkpoint import Foundation, load_foundation

    try:
        return load_foundation(checkpoint), str(checkpoint or "shipped checkpoint")
    except FileNotFoundError as exc:
        log.warning("%s -- falling back to an UNTRAINED policy; rollouts will look random", exc)
        return Foundation.untrained(), "untrained"


class Bootstrapper:
    def __init__(self, store: Store, artifacts: Artifacts, videos: VideoCache, config: AppConfig) -> None:
        self.store, self.artifacts, self.videos, self.config = store, artifacts, videos, config
        self.job_id: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def needed(self) -> bool:
        task = self.store.task_by_name(self.config.bootstrap_task)
        return task is None or not self.store.list_pairs(task["id"])

    def start(self) -> None:
        """Fail bootstrap jobs orphaned by a previous process, then start a new one if needed."""
        for job in self.store.list_jobs(status="running"):
            if job["worker"] == WORKER:
                self.store.fail_job(job["id"], WORKER, "the app stopped before the bootstrap finished", retry=False)
        if not self.config.bootstrap or not self.needed():
            return
        task = self.ensure_task()
        self.job_id = self.store.enqueue_job("bootstrap", task["id"], {"episodes": self.config.bootstrap_episodes},
                                             max_attempts=1, worker=WORKER)["id"]
        self._thread = threading.Thread(target=self._run_job, name="pgt-bootstrap", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def status(self) -> dict[str, Any] | None:
        return None if self.job_id is None else self.store.get_job(self.job_id)

    def ensure_task(self) -> dict[str, Any]:
        name = self.config.bootstrap_task
        task = self.store.task_by_name(name)
        if task is None:
            spec = CRAFTER_TASKS[name]
            task = self.store.create_task(name, spec.achievement, spec.max_steps, spec.description)
        return task

    # -- the job --------------------------------------------------------------------------
    def _run_job(self) -> None:
        assert self.job_id is not None
        last = [0.0]

        def report(fraction: float, message: str, force: bool = False) -> None:
            if self._stop.is_set():
                raise Stopped()
            now = time.monotonic()
            if force or now - last[0] > 0.5:
                last[0] = now
                self.store.heartbeat_job(self.job_id, WORKER, fraction, message)

        try:
            result = self.run(report)
            self.store.complete_job(self.job_id, WORKER, result)
        except Stopped:
            self.store.fail_job(self.job_id, WORKER, "stopped by shutdown; resumes on next start", retry=False)
        except Conflict:
            log.exception("bootstrap job was taken away")
        except Exception as exc:  # noqa: BLE001 - the job row must say why
            log.exception("bootstrap failed")
            self.store.fail_job(self.job_id, WORKER, f"{type(exc).__name__}: {exc}", retry=False)

    def run(self, report: Callable[..., None]) -> dict[str, Any]:
        cfg, store = self.config, self.store
        task = self.ensure_task()
        spec = task_spec(task)
        report(0.01, "Loading the foundation policy", True)
        foundation, policy_source = load_policy(cfg.checkpoint)
        z0 = foundation.prompt_latent(task["name"])
        prompt = next((l for l in store.list_latents(task["id"]) if l["source"] == "prompt"), None)
        if prompt is None:
            prompt = store.add_latent(task["id"], z0.numpy(), "prompt", meta={"policy": policy_source})
        rounds = store.list_rounds(task["id"])
        rnd = rounds[0] if rounds else store.create_round(task["id"], prompt["id"])

        # World seeds from the bootstrap's own range (pgt_core.seeds); only as many as are still missing,
        # so a bootstrap interrupted under an earlier seed range does not end up with extra episodes.
        have = {t["seed"] for t in store.list_trajectories(task["id"], rnd["id"])}
        total = cfg.bootstrap_episodes
        seeds = [s for s in range(cfg.bootstrap_seed, cfg.bootstrap_seed + total) if s not in have]
        seeds = seeds[:max(0, total - len(have))]
        batch = max(1, cfg.bootstrap_batch_size)
        for start in range(0, len(seeds), batch):
            chunk = seeds[start:start + batch]
            done_before = total - len(seeds) + start

            def on_progress(done: int, of: int, _base: int = done_before, _n: int = len(chunk)) -> None:
                eps = _base + _n * done / max(1, of)
                report(0.05 + 0.75 * eps / total, f"Rolling out episodes: {int(eps)}/{total}")

            for traj in collect_rollouts(foundation.policy, z0, spec, chunk, batch_size=batch, progress=on_progress):
                ingest_trajectory(store, self.artifacts, traj, f"{task['name']}-r{rnd['number']}-s{traj.seed}",
                                  task, rnd["id"], prompt["id"])
            report(0.05 + 0.75 * (done_before + len(chunk)) / total,
                   f"Rolling out episodes: {done_before + len(chunk)}/{total}", True)

        trajs = store.list_trajectories(task["id"], rnd["id"])
        for i, t in enumerate(trajs):
            self.videos.get(t["id"])
            report(0.8 + 0.18 * (i + 1) / len(trajs), f"Encoding videos: {i + 1}/{len(trajs)}")
        pairs = build_label_pairs([t["id"] for t in trajs], cfg.bootstrap_pairs_per_traj, seed=rnd["id"])
        added = store.add_pairs(task["id"], pairs, rnd["id"], source="bootstrap")
        report(1.0, f"Ready: {len(trajs)} episodes, {len(pairs)} pairs", True)
        return {"task_id": task["id"], "round_id": rnd["id"], "trajectories": len(trajs), "pairs_added": len(added),
                "policy": policy_source}

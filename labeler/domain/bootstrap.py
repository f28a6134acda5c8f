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

from labeler.config import AppConfig
from labeler.db.store import Store
from labeler.domain import foundation
from labeler.domain.ingest import ingest_trajectory
from labeler.domain.instructions import default_instructions
from labeler.domain.scheduling import build_label_pairs
from labeler.domain.tasks import task_from_row
from labeler.errors import Conflict
from labeler.files.artifacts import Artifacts
from labeler.files.video import VideoCache
from pgt_core.rollout import collect_rollouts
from pgt_core.tasks import CRAFTER_TASKS

log = logging.getLogger(__name__)
WORKER = "app:bootstrap"
Progress = Callable[[float, str], None]


class Stopped(Exception):
    """The app is shutting down; the bootstrap resumes on the next start."""


class Bootstrapper:
    def __init__(self, store: Store, artifacts: Artifacts, videos: VideoCache, config: AppConfig) -> None:
        self.store, self.artifacts, self.videos, self.config = store, artifacts, videos, config
        self.job_id: int | None = None
        self._lease: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def needed(self) -> bool:
        task = self.store.tasks.by_name(self.config.bootstrap_task)
        return task is None or not self.store.pairs.list(task["id"])

    def start(self) -> None:
        """Fail bootstrap jobs orphaned by a previous process, then start a new one if needed."""
        for job in self.store.jobs.list(status="running"):
            if job["worker"] == WORKER:
                self.store.jobs.abandon(job["id"], "the app stopped before the bootstrap finished", retry=False)
        if not self.config.bootstrap or not self.needed():
            return
        task = self.ensure_task()
        job = self.store.jobs.enqueue("bootstrap", task["id"], {"episodes": self.config.bootstrap_episodes},
                                      max_attempts=1, worker=WORKER)
        self.job_id, self._lease = job["id"], job["lease"]
        self._thread = threading.Thread(target=self._run_job, name="pgt-bootstrap", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def status(self) -> dict[str, Any] | None:
        return None if self.job_id is None else self.store.jobs.get(self.job_id)

    def ensure_task(self) -> dict[str, Any]:
        name = self.config.bootstrap_task
        task = self.store.tasks.by_name(name)
        if task is None:
            spec = CRAFTER_TASKS[name]
            task = self.store.tasks.create(name, spec.achievement, spec.max_steps, spec.description,
                                           instructions=default_instructions(spec.description))
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
                self.store.jobs.heartbeat(self.job_id, self._lease, fraction, message)

        try:
            result = self.run(report)
            self.store.jobs.complete(self.job_id, self._lease, result)
        except Stopped:
            self.store.jobs.fail(self.job_id, self._lease, "stopped by shutdown; resumes on next start", retry=False)
        except Conflict:
            log.exception("bootstrap job was taken away")
        except Exception as exc:  # noqa: BLE001 - the job row must say why
            log.exception("bootstrap failed")
            self.store.jobs.fail(self.job_id, self._lease, f"{type(exc).__name__}: {exc}", retry=False)

    def run(self, report: Callable[..., None]) -> dict[str, Any]:
        cfg, store = self.config, self.store
        task = self.ensure_task()
        spec = task_from_row(task)
        report(0.01, "Loading the foundation policy", True)
        policy_source = foundation.policy_source(cfg.checkpoint)
        bundle = foundation.load(policy_source)
        z0 = bundle.prompt_latent(task["name"])
        prompt = next((lat for lat in store.latents.list(task["id"]) if lat["source"] == "prompt"), None)
        if prompt is None:
            prompt = store.latents.add(task["id"], z0.numpy(), "prompt", meta={"policy": policy_source})
        rounds = store.rounds.list(task["id"])
        rnd = rounds[0] if rounds else store.rounds.create(task["id"], prompt["id"])

        # World seeds from the bootstrap's own range (pgt_core.seeds); only as many as are still missing,
        # so a bootstrap interrupted under an earlier seed range does not end up with extra episodes.
        have = {t["seed"] for t in store.trajectories.list(task["id"], rnd["id"])}
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

            for traj in collect_rollouts(bundle.policy, z0, spec, chunk, batch_size=batch, progress=on_progress):
                ingest_trajectory(store, self.artifacts, traj, f"{task['name']}-r{rnd['number']}-s{traj.seed}",
                                  task, rnd["id"], prompt["id"])
            report(0.05 + 0.75 * (done_before + len(chunk)) / total,
                   f"Rolling out episodes: {done_before + len(chunk)}/{total}", True)

        trajs = store.trajectories.list(task["id"], rnd["id"])
        for i, t in enumerate(trajs):
            self.videos.get(t["id"])
            report(0.8 + 0.18 * (i + 1) / len(trajs), f"Encoding videos: {i + 1}/{len(trajs)}")
        pairs = build_label_pairs([t["id"] for t in trajs], cfg.bootstrap_pairs_per_traj, seed=rnd["id"])
        added = store.pairs.add(task["id"], pairs, rnd["id"], source="bootstrap")
        report(1.0, f"Ready: {len(trajs)} episodes, {len(pairs)} pairs", True)
        return {"task_id": task["id"], "round_id": rnd["id"], "trajectories": len(trajs), "pairs_added": len(added),
                "policy": policy_source}

"""A round's jobs run in the test's own process: claimed from the store, run by the worker's own runners
(`labeler.worker.runners`) with an untrained policy, files handed over as an upload does, completed, and the
rounds reconciled. What the HTTP worker does, minus HTTP and a second process: seconds instead of minutes.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch

from labeler.db.store import Store
from labeler.domain.latents import LatentLibrary
from labeler.domain.round_jobs import RoundJobs
from labeler.domain.rounds import Rounds
from labeler.files.artifacts import Artifacts
from labeler.worker import runners
from pgt_core.policy.checkpoint import Foundation
from pgt_core.trajectory import Trajectory


class InlineWorker:
    def __init__(self, store: Store, artifacts: Artifacts, rounds: Rounds, work_dir: Path) -> None:
        torch.manual_seed(0)
        torch.set_num_threads(1)  # two shared cores: more threads only fight over them
        self.store, self.artifacts, self.rounds, self.work_dir = store, artifacts, rounds, Path(work_dir)
        self.policy = Foundation.untrained().policy

    def claim(self, kind: str) -> dict[str, Any]:
        """The next job by the queue's order; it must be of `kind`."""
        job = self.store.jobs.claim("inline", None)
        assert job is not None and job["kind"] == kind, job
        return job

    def run(self, job: dict[str, Any]) -> runners.Outcome:
        """Run a claimed job as the worker would, hand its files over, complete it and reconcile."""
        out = self.work_dir / f"job-{job['id']}-{job['attempts']}"
        spec = job["payload"]
        if job["kind"] == "rollout":
            outcome = runners.run_rollout(spec, self.policy, out, "cpu", runners.Silent())
        elif job["kind"] == "evaluate":
            outcome = runners.run_evaluate(spec, self.policy, out, "cpu", runners.Silent())
        else:
            trajs = {t: Trajectory.load(self.artifacts.existing(a)) for t, a in spec["trajectories"].items()}
            outcome = runners.run_tune(spec, self.policy, trajs, "cpu", runners.Silent())
        for path in outcome.files:
            shutil.copy(path, self.artifacts.path(path.name))
        self.finish(job, outcome.result)
        return outcome

    def run_next(self, kind: str) -> dict[str, Any]:
        job = self.claim(kind)
        self.run(job)
        return self.store.jobs.get(job["id"])

    def finish(self, job: dict[str, Any], result: dict[str, Any]) -> None:
        self.store.jobs.complete(job["id"], job["lease"], result)
        self.rounds.reconcile()


def label_everything(store: Store, round_id: int) -> None:
    """Every pair of the round answered "left" by one person."""
    rnd = store.rounds.get(round_id)
    for p in (p for p in store.pairs.list(rnd["task_id"]) if p["round_id"] == round_id):
        store.labels.add(submission_id=f"test-label-{p['id']}", pair_id=p["id"], annotator="ann", choice="left",
                         left_traj=p["traj_a"], right_traj=p["traj_b"], time_spent_ms=1000)


def tune_to(worker: InlineWorker, rounds: Rounds, round_id: int, seed: int) -> None:
    """Start tuning and let the tune job hand back a latent of its own (what DPO found is beside the point)."""
    rounds.start_tuning(round_id)
    job = worker.claim("tune")  # ahead of any background job, though queued after it
    z = np.random.default_rng(seed).normal(size=512)
    worker.finish(job, {"z": z.tolist(), "best_epoch": 1, "epochs": 1})


class RoundMachine(NamedTuple):
    store: Store
    artifacts: Artifacts
    rounds: Rounds
    worker: InlineWorker
    task: dict[str, Any]
    z0: dict[str, Any]


def round_machine(tmp_path: Path) -> RoundMachine:
    """A store with one short collect_wood task and its prompt latent, the round machine over it and an inline
    worker; the caller closes `store`."""
    store = Store(tmp_path / "r.duckdb")
    library = LatentLibrary(store)
    artifacts = Artifacts(tmp_path / "artifacts")
    rounds = Rounds(store, artifacts, library, RoundJobs(store, library, "untrained"))
    task = store.tasks.create("wood", "collect_wood", 8)
    z0 = store.latents.add(task["id"], np.random.default_rng(0).normal(size=512), "prompt")
    return RoundMachine(store, artifacts, rounds, InlineWorker(store, artifacts, rounds, tmp_path / "work"), task, z0)


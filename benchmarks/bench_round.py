"""Rounds at their default size through the app's own round machine and the worker's own job runners, against
the former order, in one run.

    python benchmarks/bench_round.py                                  # collect_wood and eat_cow
    python benchmarks/bench_round.py --tasks eat_cow --episodes 300 --eval-episodes 50

No HTTP and no worker process in between, and the worker's own settings (torch's default threads, 2
environment processes; `--threads`, `--env-workers` change them):

- now: the app's state machine (`labeler.domain.rounds`) with its store, each job claimed in the queue's
  order and run by the worker's runner (`labeler.worker.runners`), its files handed over and the rounds
  reconciled, as the worker and the app do. Round 1: collect (episodes labelable once registered, videos
  made when first viewed) -> z0 evaluated while people label -> labels -> tune -> the candidate evaluated
  (z0's evaluation reused: `labeler.domain.evaluations`) -> review -> the candidate's episodes in the
  background -> promote. Round 2 starts at once on those episodes -> labels -> tune (on both rounds'
  labels, as the app does) -> the new candidate evaluated (z0's and the start latent's reused) -> review.
- before: round 1 in the former order and manner, each runner called directly: every episode encoded to
  a 4x upscaled mp4 inside the rollout job, environments stepped by the worker itself, the candidate
  rolled out *before* the evaluation of z0 and the candidate, four review videos encoded.

Labels are the reward order of each pair the round asks about (ties answered tie), the same rule on both
sides. It prints every phase, the totals people wait for (Tune clicked -> review shown; labels in -> next
round labelable) and their ratios, and what round 2's evaluation would cost without reuse (the three
latents' measured evaluations added up).
"""
from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from _common import setup

from labeler.db.store import Store
from labeler.domain.ingest import register_artifact
from labeler.domain.latents import LatentLibrary
from labeler.domain.round_jobs import RoundJobs
from labeler.domain.rounds import Rounds
from labeler.domain.scheduling import build_label_pairs
from labeler.files.artifacts import Artifacts
from labeler.files.video import encode_mp4
from labeler.worker import runners
from pgt_core.seeds import BENCHMARK_WORLD_BASE
from pgt_core.tasks import CRAFTER_TASKS, Task
from pgt_core.trajectory import Trajectory

ROUND_BENCH_WORLDS = BENCHMARK_WORLD_BASE + 2_000_000  # 9_000_000+: worlds of this benchmark's own


def timed(phases: dict[str, float], name: str, fn: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    out = fn()
    phases[name] = time.perf_counter() - start
    return out


def task_spec(task: Task) -> dict[str, Any]:
    return {"id": 1, "name": task.name, "achievement": task.achievement, "max_steps": task.max_steps,
            "description": task.description}


class AppRounds:
    """The app's order: its round machine over a store of its own, jobs run as its worker runs them."""

    def __init__(self, root: Path, task: Task, policy: torch.nn.Module, z0: torch.Tensor, source: str,
                 args: argparse.Namespace) -> None:
        self.root, self.policy, self.args = root, policy, args
        self.store = Store(root / "pgt.duckdb")
        self.artifacts = Artifacts(root / "artifacts")
        library = LatentLibrary(self.store)
        self.rounds = Rounds(self.store, self.artifacts, library, RoundJobs(self.store, library, source))
        self.task = self.store.tasks.create(task.name, task.achievement, task.max_steps, task.description)
        self.store.latents.add(self.task["id"], z0.numpy(), "prompt")
        self.config = {"round_size": args.episodes, "pairs_per_traj": args.pairs_per_episode, "epochs": args.epochs,
                       "eval_episodes": args.eval_episodes, "review_videos": args.eval_episodes,
                       "batch_size": args.batch_size}

    def run_job(self, kind: str) -> None:
        """What the worker does with the next job in the queue, and the app with its result."""
        job = self.store.jobs.claim("bench", None)
        assert job is not None and job["kind"] == kind, (kind, job and job["kind"])
        out, spec = self.root / f"job-{job['id']}", job["payload"]
        if kind == "rollout":
            outcome = runners.run_rollout(spec, self.policy, out, "cpu", runners.Silent(),
                                          env_workers=self.args.env_workers)
        elif kind == "evaluate":
            outcome = runners.run_evaluate(spec, self.policy, out, "cpu", runners.Silent(),
                                           env_workers=self.args.env_workers)
        else:
            trajs = {t: Trajectory.load(self.artifacts.existing(a)) for t, a in spec["trajectories"].items()}
            outcome = runners.run_tune(spec, self.policy, trajs, "cpu", runners.Silent())
        for path in outcome.files:  # the upload
            shutil.move(path, self.artifacts.path(path.name))
        self.store.jobs.complete(job["id"], job["lease"], outcome.result)
        self.rounds.reconcile()

    def label(self, round_id: int) -> None:
        """Each of the round's pairs answered by reward order (ties: tie), as one person."""
        for p in (p for p in self.store.pairs.list(self.task["id"]) if p["round_id"] == round_id):
            a, b = (self.store.trajectories.get(t)["reward"] for t in (p["traj_a"], p["traj_b"]))
            choice = "left" if a > b else "right" if b > a else "tie"
            self.store.labels.add(submission_id=f"bench-label-{p['id']}", pair_id=p["id"], annotator="bench",
                                  choice=choice, left_traj=p["traj_a"], right_traj=p["traj_b"], time_spent_ms=1)

    def status(self, round_id: int) -> str:
        return self.store.rounds.get(round_id)["status"]

    def tune_to_review(self, p: dict[str, float], round_id: int, suffix: str) -> None:
        start = time.perf_counter()
        self.rounds.start_tuning(round_id)
        timed(p, f"tune{suffix}", lambda: self.run_job("tune"))
        assert self.status(round_id) == "evaluating", self.store.rounds.get(round_id)["result"].get("tune")
        timed(p, f"evaluate the candidate{suffix}", lambda: self.run_job("evaluate"))
        assert self.status(round_id) == "review"
        p[f"tune -> review{suffix}"] = time.perf_counter() - start

    def run(self) -> dict[str, float]:
        p: dict[str, float] = {}
        first = timed(p, "collect -> labelable", lambda: self.rounds.start_round(self.task["id"], self.config))
        timed(p, "collect", lambda: self.run_job("rollout"))
        p["collect -> labelable"] += p["collect"]
        assert self.status(first["id"]) == "labelling"
        timed(p, "evaluate z0 (while people label)", lambda: self.run_job("evaluate"))
        self.label(first["id"])
        self.tune_to_review(p, first["id"], "")
        self.rounds.promote(first["id"], confirm=True)
        timed(p, "candidate rollout (during the review)", lambda: self.run_job("rollout"))
        assert self.status(first["id"]) == "promoted"
        second = timed(p, "round 2 labelable", lambda: self.rounds.start_round(self.task["id"], self.config))
        assert second["status"] == "labelling"
        p["labels -> next round labelable"] = (p["tune -> review"] + p["candidate rollout (during the review)"]
                                               + p["round 2 labelable"])
        self.label(second["id"])
        self.tune_to_review(p, second["id"], " (round 2)")
        p["round 2 evaluating all three latents (sum)"] = (p["evaluate z0 (while people label)"]
                                                          + p["evaluate the candidate"]
                                                          + p["evaluate the candidate (round 2)"])
        self.store.close()
        return p


class Before:
    """Round 1 in the former order and manner: its own store, artifacts and scratch space."""

    def __init__(self, root: Path, task: Task, policy: torch.nn.Module, z0: torch.Tensor,
                 args: argparse.Namespace) -> None:
        self.task, self.policy, self.z0, self.args = task, policy, z0, args
        self.root = root
        self.store = Store(root / "pgt.duckdb")
        self.artifacts = Artifacts(root / "artifacts")
        self.row = self.store.tasks.create(task.name, task.achievement, task.max_steps, task.description)

    def rollout(self, z: torch.Tensor, seeds: list[int], prefix: str) -> list[str]:
        out = self.root / f"job-{prefix}"
        spec = {"task": task_spec(self.task), "z": z.tolist(), "seeds": seeds, "batch_size": self.args.batch_size,
                "id_prefix": prefix}
        outcome = runners.run_rollout(spec, self.policy, out, "cpu", runners.Silent(), env_workers=0)
        for path in sorted(out.glob("*.npz")):  # the former rollout job also encoded every video, 4x upscaled
            encode_mp4(np.ascontiguousarray(Trajectory.load(path).frames), path.with_suffix(".mp4"), scale=4)
        return self.register(out, [e["id"] for e in outcome.result["trajectories"]])

    def register(self, out: Path, ids: list[str]) -> list[str]:
        for tid in ids:  # what the upload and POST /api/trajectories do
            shutil.copy(out / f"{tid}.npz", self.artifacts.path(f"{tid}.npz"))
            video = out / f"{tid}.mp4"
            if video.exists():
                shutil.copy(video, self.artifacts.path(f"{tid}.mp4"))
            register_artifact(self.store, self.artifacts, tid, self.row)
        return ids

    def tune(self, ids: list[str]) -> torch.Tensor:
        labels = []
        for p in self.store.pairs.list(self.row["id"]):  # each pair answered by reward order, as on the app's side
            a, b = (self.store.trajectories.get(t)["reward"] for t in (p["traj_a"], p["traj_b"]))
            labels.append([p["traj_a"], p["traj_b"], "left" if a > b else "right" if b > a else "tie"])
        spec = {"z0": self.z0.tolist(), "labels": labels, "hyper": {"epochs": self.args.epochs}}
        trajs = {t: Trajectory.load(self.artifacts.path(f"{t}.npz")) for t in ids}
        return torch.tensor(runners.run_tune(spec, self.policy, trajs, "cpu", runners.Silent()).result["z"])

    def evaluate(self, z: torch.Tensor) -> None:
        out = self.root / "job-eval"
        first = ROUND_BENCH_WORLDS + 500_000
        spec = {"task": task_spec(self.task), "seeds": list(range(first, first + self.args.eval_episodes)),
                "batch_size": self.args.batch_size,
                "latents": [{"id": 1, "role": "prompt", "z": self.z0.tolist()},
                            {"id": 2, "role": "candidate", "z": z.tolist()}],
                "review": {"episodes": 4, "roles": ["prompt", "candidate"], "id_prefix": "e"}}
        outcome = runners.run_evaluate(spec, self.policy, out, "cpu", runners.Silent(), env_workers=0)
        for path in sorted(out.glob("*.npz")):
            encode_mp4(np.ascontiguousarray(Trajectory.load(path).frames), path.with_suffix(".mp4"), scale=4)
        self.register(out, [e["id"] for e in outcome.result["review"]])

    def run(self) -> dict[str, float]:
        p: dict[str, float] = {}
        n = self.args.episodes
        seeds = list(range(ROUND_BENCH_WORLDS, ROUND_BENCH_WORLDS + n))
        ids = timed(p, "collect", lambda: self.rollout(self.z0, seeds, "c"))
        pairs = build_label_pairs(ids, self.args.pairs_per_episode)
        timed(p, "pairs", lambda: self.store.pairs.add(self.row["id"], pairs, None))
        p["collect -> labelable"] = p["collect"] + p["pairs"]
        z = timed(p, "tune", lambda: self.tune(ids))
        nxt = list(range(ROUND_BENCH_WORLDS + n, ROUND_BENCH_WORLDS + 2 * n))
        timed(p, "candidate rollout (before: ahead of the review)", lambda: self.rollout(z, nxt, "n"))
        timed(p, "evaluate z0 and the candidate", lambda: self.evaluate(z))
        p["tune -> review"] = p["tune"] + p["candidate rollout (before: ahead of the review)"] + p[
            "evaluate z0 and the candidate"]
        p["labels -> next round labelable"] = p["tune -> review"]
        self.store.close()
        return p


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default=None, help="foundation bundle (default: shipped, else untrained)")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default, as the app's worker)")
    ap.add_argument("--tasks", nargs="+", default=["collect_wood", "eat_cow"],
                    help="task names, or NAME:ACHIEVEMENT:STEPS for a task of its own")
    ap.add_argument("--episodes", type=int, default=300)
    ap.add_argument("--pairs-per-episode", type=int, default=4)
    ap.add_argument("--eval-episodes", type=int, default=50)
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--env-workers", type=int, default=2, help="environment processes of the app's worker")
    ap.add_argument("--skip-before", action="store_true", help="measure the app's order only")
    args = ap.parse_args()
    args.task = args.tasks[0]
    default_threads, asked = torch.get_num_threads(), args.threads
    args.threads = asked or default_threads  # 0: what the app's worker runs with (it leaves torch's default)
    foundation, source = setup(args)
    print(f"policy: {source}; {args.episodes} episodes, {args.eval_episodes} evaluation seeds, {args.epochs} epochs, "
          f"{torch.get_num_threads()} torch threads, {args.env_workers} environment processes now; "
          f"{time.strftime('%Y-%m-%d %H:%M')}, load average {os.getloadavg()[0]:.1f}", flush=True)
    for name in args.tasks:
        if ":" in name:
            tname, achievement, steps = name.split(":")
            task, prompt = Task(tname, achievement, int(steps), ""), achievement
        else:
            task, prompt = CRAFTER_TASKS[name], name
        z0 = foundation.prompt_latent(prompt) if prompt in foundation.prompts else foundation.encode_clip(
            next(iter(foundation.prompts.values())))
        with tempfile.TemporaryDirectory(prefix="pgt-bench-warmup-") as tmp:  # first calls pay torch's warm-up
            warm = argparse.Namespace(**{**vars(args), "episodes": 6, "eval_episodes": 2, "epochs": 5})
            AppRounds(Path(tmp), task, foundation.policy, z0, source, warm).run()
        sides: dict[str, dict[str, float]] = {}
        for label in ("now",) if args.skip_before else ("before", "now"):
            with tempfile.TemporaryDirectory(prefix="pgt-bench-round-") as tmp:
                sides[label] = (AppRounds(Path(tmp), task, foundation.policy, z0, source, args) if label == "now"
                                else Before(Path(tmp), task, foundation.policy, z0, args)).run()
        print(f"\n{task.name} ({task.max_steps} steps), load average {os.getloadavg()[0]:.1f}")
        print(f"  {'phase':48s} {'before':>9s} {'now':>9s}  ratio")
        for phase in dict.fromkeys([*sides.get("before", {}), *sides["now"]]):
            b, n = sides.get("before", {}).get(phase), sides["now"].get(phase)
            cells = [f"{b:8.1f}s" if b is not None else " " * 9, f"{n:8.1f}s" if n is not None else " " * 9]
            ratio = f"  {b / n:5.2f}x" if b is not None and n else ""
            print(f"  {phase:48s} {cells[0]} {cells[1]}{ratio}", flush=True)


if __name__ == "__main__":
    main()

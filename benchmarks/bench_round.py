"""One round at its default size through the real job runners: the app's order against the former one.

    python benchmarks/bench_round.py                                  # collect_wood and eat_cow
    python benchmarks/bench_round.py --tasks eat_cow --episodes 300 --eval-episodes 50

No HTTP and no database server in between: each phase calls the worker's own runner
(`labeler.worker.runners`) and registers what it wrote the way the app does
(`labeler.domain.ingest.register_artifact`), timed one after the other, in one run:

- now: collect (trajectories only, environments stepped in `--env-workers` processes; episodes are
  labelable once registered, videos are made when first viewed) -> labels -> tune -> evaluate
  (review opens) -> the candidate's episodes in the background (the next round's material);
- before: the same phases in the former order and manner: every episode encoded to a 4x upscaled
  mp4 inside the rollout job, environments stepped by the worker itself, the candidate rolled out
  *before* the evaluation, four review videos encoded.

It prints every phase and the two totals that people wait for: Tune clicked -> review shown, and
labels in -> next round labelable, for both orders, and their ratios. Labels are the reward order
(all ordered pairs, capped), the same for both orders; each side re-runs the tune so the figures
are independent of the other side's caches.
"""
from __future__ import annotations

import argparse
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
from labeler.domain.scheduling import build_label_pairs
from labeler.files.artifacts import Artifacts
from labeler.files.trajectory_file import iter_frames
from labeler.files.video import encode_mp4
from labeler.worker import runners
from pgt_core.pairs import pairs_from_rewards
from pgt_core.seeds import BENCHMARK_WORLD_BASE
from pgt_core.tasks import CRAFTER_TASKS, Task
from pgt_core.trajectory import Trajectory

ROUND_BENCH_WORLDS = BENCHMARK_WORLD_BASE + 2_000_000  # 9_000_000+: worlds of this benchmark's own


class Quiet:
    def progress(self, fraction: float | None, message: str) -> None:
        pass

    def log(self, message: str) -> None:
        pass


def timed(phases: dict[str, float], name: str, fn: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    out = fn()
    phases[name] = time.perf_counter() - start
    return out


def task_spec(task: Task) -> dict[str, Any]:
    return {"id": 1, "name": task.name, "achievement": task.achievement, "max_steps": task.max_steps,
            "description": task.description}


class Round:
    """One side (an order) of the benchmark: its own store, artifacts and scratch space."""

    def __init__(self, root: Path, task: Task, policy: torch.nn.Module, z0: torch.Tensor, args: argparse.Namespace,
                 old: bool) -> None:
        self.task, self.policy, self.z0, self.args, self.old = task, policy, z0, args, old
        self.root = root
        self.store = Store(root / "pgt.duckdb")
        self.artifacts = Artifacts(root / "artifacts")
        self.row = self.store.tasks.create(task.name, task.achievement, task.max_steps, task.description)
        self.env_workers = 0 if old else args.env_workers

    def rollout(self, z: torch.Tensor, seeds: list[int], prefix: str) -> list[str]:
        out = self.root / f"job-{prefix}"
        spec = {"task": task_spec(self.task), "z": z.tolist(), "seeds": seeds, "batch_size": self.args.batch_size,
                "id_prefix": prefix}
        outcome = runners.run_rollout(spec, self.policy, out, "cpu", Quiet(), env_workers=self.env_workers)
        if self.old:  # the former rollout job also encoded every episode's video, 4x upscaled
            for path in sorted(out.glob("*.npz")):
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
        rewards = [self.store.trajectories.get(t)["reward"] for t in ids]
        pairs = pairs_from_rewards(rewards, max_pairs=len(ids) * 4, rng=0)
        spec = {"z0": self.z0.tolist(), "labels": [[ids[p.i], ids[p.j], "left"] for p in pairs],
                "hyper": {"epochs": self.args.epochs}}
        trajs = {t: Trajectory.load(self.artifacts.path(f"{t}.npz")) for t in ids}
        return torch.tensor(runners.run_tune(spec, self.policy, trajs, "cpu", Quiet()).result["z"])

    def evaluate(self, z: torch.Tensor) -> None:
        out = self.root / "job-eval"
        first = ROUND_BENCH_WORLDS + 500_000
        spec = {"task": task_spec(self.task), "seeds": list(range(first, first + self.args.eval_episodes)),
                "batch_size": self.args.batch_size,
                "latents": [{"id": 1, "role": "prompt", "z": self.z0.tolist()},
                            {"id": 2, "role": "candidate", "z": z.tolist()}],
                "review": {"episodes": 4 if self.old else self.args.eval_episodes, "roles": ["prompt", "candidate"],
                           "id_prefix": "e"}}
        outcome = runners.run_evaluate(spec, self.policy, out, "cpu", Quiet(), env_workers=self.env_workers)
        if self.old:
            for path in sorted(out.glob("*.npz")):
                encode_mp4(np.ascontiguousarray(Trajectory.load(path).frames), path.with_suffix(".mp4"), scale=4)
        self.register(out, [e["id"] for e in outcome.result["review"]])

    def run(self) -> dict[str, float]:
        p: dict[str, float] = {}
        n = self.args.episodes
        seeds = list(range(ROUND_BENCH_WORLDS, ROUND_BENCH_WORLDS + n))
        ids = timed(p, "collect", lambda: self.rollout(self.z0, seeds, "c"))
        timed(p, "pairs", lambda: self.store.pairs.add(1, build_label_pairs(ids, 4), None))
        if not self.old:  # what a first view costs: the video of one episode, made when asked (ms each)
            sample = ids[:10]
            timed(p, "video on first view (x10)", lambda: [
                encode_mp4(iter_frames(self.artifacts.path(f"{t}.npz")), self.root / f"v-{t}.mp4") for t in sample])
        z = timed(p, "tune", lambda: self.tune(ids))
        nxt = list(range(ROUND_BENCH_WORLDS + n, ROUND_BENCH_WORLDS + 2 * n))
        if self.old:
            timed(p, "candidate rollout", lambda: self.rollout(z, nxt, "n"))
            timed(p, "evaluate", lambda: self.evaluate(z))
            p["tune -> review"] = p["tune"] + p["candidate rollout"] + p["evaluate"]
            p["labels -> next round labelable"] = p["tune -> review"]
        else:
            timed(p, "evaluate", lambda: self.evaluate(z))
            p["tune -> review"] = p["tune"] + p["evaluate"]
            timed(p, "candidate rollout", lambda: self.rollout(z, nxt, "n"))  # in the background, during review
            p["labels -> next round labelable"] = p["tune -> review"] + p["candidate rollout"]
        p["collect -> labelable"] = p["collect"] + p["pairs"]
        self.store.close()
        return p


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default=None, help="foundation bundle (default: shipped, else untrained)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads of the 'worker'")
    ap.add_argument("--tasks", nargs="+", default=["collect_wood", "eat_cow"],
                    help="task names, or NAME:ACHIEVEMENT:STEPS for a task of its own")
    ap.add_argument("--episodes", type=int, default=300)
    ap.add_argument("--eval-episodes", type=int, default=50)
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--env-workers", type=int, default=2)
    args = ap.parse_args()
    args.task = args.tasks[0]
    foundation, source = setup(args)
    print(f"policy: {source}; {args.episodes} episodes, {args.eval_episodes} evaluation seeds, {args.epochs} epochs, "
          f"{args.env_workers} environment processes now, {time.strftime('%Y-%m-%d %H:%M')}")
    for name in args.tasks:
        if ":" in name:
            tname, achievement, steps = name.split(":")
            task = Task(tname, achievement, int(steps), "")
            prompt = achievement
        else:
            task, prompt = CRAFTER_TASKS[name], name
        z0 = foundation.prompt_latent(prompt) if prompt in foundation.prompts else foundation.encode_clip(
            next(iter(foundation.prompts.values())))
        with tempfile.TemporaryDirectory(prefix="pgt-bench-warmup-") as tmp:  # first calls pay torch's warm-up
            warm = argparse.Namespace(**{**vars(args), "episodes": 4, "eval_episodes": 2, "epochs": 1})
            Round(Path(tmp), task, foundation.policy, z0, warm, old=False).run()
        sides = {}
        for label, old in (("before", True), ("now", False)):
            with tempfile.TemporaryDirectory(prefix="pgt-bench-round-") as tmp:
                sides[label] = Round(Path(tmp), task, foundation.policy, z0, args, old).run()
        print(f"\n{task.name} ({task.max_steps} steps)")
        print(f"  {'phase':34s} {'before':>9s} {'now':>9s}  ratio")
        for phase in sides["now"]:
            b, n = sides["before"].get(phase), sides["now"][phase]
            if b is None:
                print(f"  {phase:34s} {'':>9s} {n:8.2f}s")
                continue
            print(f"  {phase:34s} {b:8.1f}s {n:8.1f}s  {b / n if n else float('inf'):5.2f}x")


if __name__ == "__main__":
    main()

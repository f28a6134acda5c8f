"""Is the foundation policy goal-conditioned? Success per task under three latents.

    python -m pgt_core.evaluate --episodes 50            # all tasks, shipped checkpoint
    python -m pgt_core.evaluate --tasks collect_wood --episodes 4 --max-steps 40   # quick look

For every task, the same evaluation worlds are played under
- the task's prompt latent z0 (the goal encoder on the task's prompt clip),
- a random latent (Gaussian, scaled to the prompts' average norm), and
- another task's prompt latent (the next task in the list),
so goal-conditioning shows as the prompt beating the other two. The prompt should not be
near 100% either: PGT needs room to improve.
"""
from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from pgt_core.policy.checkpoint import Foundation, load_foundation
from pgt_core.rollout import collect_rollouts
from pgt_core.seeds import EVAL_WORLD_BASE
from pgt_core.tasks import CRAFTER_TASKS, Task, get_task

EVAL_SEED_BASE = EVAL_WORLD_BASE  # in-distribution evaluation worlds, disjoint from demos and tuning (pgt_core.seeds)


def eval_seeds(episodes: int, base: int = EVAL_SEED_BASE) -> list[int]:
    return list(range(base, base + episodes))


def success_rate(foundation: Foundation, z: torch.Tensor, task: Task, seeds: list[int], batch_size: int = 32) -> float:
    trajs = collect_rollouts(foundation.policy, z, task, seeds, batch_size=batch_size, keep_frames=False)
    return float(np.mean([task.success(t) for t in trajs]))


def random_latent(foundation: Foundation, tasks: list[str], seed: int) -> torch.Tensor:
    norms = [float(foundation.prompt_latent(t).norm()) for t in tasks]
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(foundation.policy.cfg.latent_dim, generator=g)
    return z / z.norm() * float(np.mean(norms))


def evaluate_conditioning(foundation: Foundation, tasks: list[str], episodes: int, max_steps: int | None = None,
                          batch_size: int = 32, seed_base: int = EVAL_SEED_BASE) -> list[dict]:
    """One row per task: success under prompt, random and other-task latents."""
    rows = []
    seeds = eval_seeds(episodes, seed_base)
    z_rand = random_latent(foundation, tasks, seed=0)
    for i, name in enumerate(tasks):
        task = get_task(name)
        if max_steps is not None:
            task = replace(task, max_steps=max_steps)
        other = tasks[(i + 1) % len(tasks)] if len(tasks) > 1 else name
        row = {
            "task": name,
            "episodes": episodes,
            "prompt": success_rate(foundation, foundation.prompt_latent(name), task, seeds, batch_size),
            "random": success_rate(foundation, z_rand, task, seeds, batch_size),
            "other_task": other,
            "other": success_rate(foundation, foundation.prompt_latent(other), task, seeds, batch_size),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def markdown_table(rows: list[dict]) -> str:
    lines = [
        "| task | prompt z0 | random z | other task's z (task) |",
        "|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['task']} | {r['prompt']:.0%} | {r['random']:.0%} | {r['other']:.0%} ({r['other_task']}) |")
    wins = sum(r["prompt"] > max(r["random"], r["other"]) for r in rows)
    lines.append("")
    lines.append(f"Prompt beats both controls on {wins}/{len(rows)} tasks ({rows[0]['episodes']} episodes each).")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--tasks", nargs="*", default=list(CRAFTER_TASKS))
    ap.add_argument("--episodes", type=int, default=50)
    ap.add_argument("--max-steps", type=int, default=None, help="override every task's time limit")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--out", default=None, help="write the rows as JSON here")
    args = ap.parse_args()
    foundation = load_foundation(args.checkpoint)
    rows = evaluate_conditioning(foundation, args.tasks, args.episodes, args.max_steps, args.batch_size)
    print(markdown_table(rows))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()

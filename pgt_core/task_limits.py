"""Time limits of at least 100 steps, one per task, by one rule from the prompt's first-success times.

    python -m pgt_core.task_limits --episodes 100 --horizon 300 --out runs/task_limits.json

Rule (`limit_for`): play the task's prompt z0 on `--episodes` evaluation worlds for `horizon`
steps and record the step of the first success in each. The limit is the smallest multiple of
`STEP` (25), at least `MIN_LIMIT` (100) and at most the horizon, at which the prompt succeeds in at
least `TARGET` (50%) of the episodes: a limit the prompt nearly always meets leaves PGT nothing to
improve, one it rarely meets gives few decisive pairs. Where even `MIN_LIMIT` gives more than
`BAND[1]`, or the horizon less than `BAND[0]`, the task is reported as outside the band rather than
forced into it (`LimitChoice.in_band`).

Success at a limit L is read off the same episodes (first success before step L), so one run per
task measures every candidate limit. The limits the app uses today (`pgt_core.tasks`) are not
changed by this module: it measures and proposes.
"""
from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Sequence

import numpy as np

from pgt_core.evaluate import eval_seeds
from pgt_core.policy.checkpoint import Foundation, load_foundation
from pgt_core.rollout import collect_rollouts
from pgt_core.tasks import CRAFTER_TASKS, get_task

MIN_LIMIT = 100
STEP = 25
TARGET = 0.5
BAND = (0.15, 0.70)


@dataclass(frozen=True)
class LimitChoice:
    task: str
    limit: int
    success: float  # the prompt's success rate at `limit`
    success_at_min: float  # at MIN_LIMIT
    success_at_horizon: float
    episodes: int
    horizon: int

    @property
    def in_band(self) -> bool:
        return BAND[0] <= self.success <= BAND[1]


def success_at(first_steps: Sequence[int | None], limit: int) -> float:
    """Share of episodes whose first success came before step `limit`."""
    return float(np.mean([s is not None and s < limit for s in first_steps])) if first_steps else 0.0


def limit_for(task: str, first_steps: Sequence[int | None], horizon: int) -> LimitChoice:
    """The rule above, applied to one task's first-success steps (None = no success within the horizon)."""
    if horizon < MIN_LIMIT:
        raise ValueError(f"the horizon must be at least {MIN_LIMIT} steps")
    candidates = list(range(MIN_LIMIT, horizon + 1, STEP))
    limit = next((c for c in candidates if success_at(first_steps, c) >= TARGET), candidates[-1])
    return LimitChoice(task, limit, success_at(first_steps, limit), success_at(first_steps, MIN_LIMIT),
                       success_at(first_steps, horizon), len(first_steps), horizon)


def first_success_steps(foundation: Foundation, task_name: str, episodes: int, horizon: int,
                        batch_size: int = 32) -> list[int | None]:
    """The prompt z0's first-success step per evaluation world (the same worlds as `pgt_core.evaluate`)."""
    task = replace(get_task(task_name), max_steps=horizon)
    trajs = collect_rollouts(foundation.policy, foundation.prompt_latent(task_name), task, eval_seeds(episodes),
                             batch_size=batch_size, keep_frames=False)
    return [task.first_step(t) for t in trajs]


def markdown(choices: Sequence[LimitChoice]) -> str:
    lines = [f"| task | today's limit | proposed limit | z0 success there | at {MIN_LIMIT} steps | at horizon |",
             "|---|---|---|---|---|---|"]
    for c in choices:
        flag = "" if c.in_band else " (outside 15-70%)"
        lines.append(f"| {c.task} | {get_task(c.task).max_steps} | {c.limit} | {c.success:.0%}{flag} | "
                     f"{c.success_at_min:.0%} | {c.success_at_horizon:.0%} ({c.horizon}) |")
    episodes = {c.episodes for c in choices}
    lines += ["", f"{', '.join(map(str, sorted(episodes)))} evaluation episodes per task; "
              f"{sum(c.in_band for c in choices)}/{len(choices)} tasks inside 15-70%."]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> list[LimitChoice]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--tasks", nargs="*", default=list(CRAFTER_TASKS))
    ap.add_argument("--episodes", type=int, default=100)
    ap.add_argument("--horizon", type=int, default=300)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--out", default=None, help="write the choices and first-success steps as JSON here")
    args = ap.parse_args(argv)
    foundation = load_foundation(args.checkpoint)
    choices, steps = [], {}
    for name in args.tasks:
        steps[name] = first_success_steps(foundation, name, args.episodes, args.horizon, args.batch_size)
        choices.append(limit_for(name, steps[name], args.horizon))
        print(json.dumps({**asdict(choices[-1]), "in_band": choices[-1].in_band}), flush=True)
    print(markdown(choices))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps({"choices": [asdict(c) for c in choices], "first_steps": steps}))
    return choices


if __name__ == "__main__":
    main()

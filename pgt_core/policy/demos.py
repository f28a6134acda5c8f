"""Record scripted demonstrations: episodes plus the goal segments inside them.

Command: `python -m pgt_core.policy.demos --episodes 600 --out data/demos` (usually run by
`pgt_core.policy.train`). Episodes are sharded across processes; each one is a pure
function of its seed, so the data set is reproducible from (first seed, count).
"""
from __future__ import annotations

import argparse
import json
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from pgt_core.envs.crafter_env import CrafterEnv
from pgt_core.scripted_agent import GOALS, ScriptedAgent
from pgt_core.seeds import DEMO_WORLD_BASE
from pgt_core.trajectory import Trajectory

GOAL_TIMEOUT = 120  # steps before the demonstrator gives up on a goal


def record_demo(seed: int, length: int = 300, goals: tuple[str, ...] = GOALS) -> Trajectory:
    """One demonstration episode; `meta['segments']` lists [goal, start, end|None, noise]."""
    rng = np.random.default_rng(seed)
    env = CrafterEnv()
    frame = env.reset(seed)
    agent = ScriptedAgent(rng=rng)
    agent.start_goal(str(rng.choice(goals)), 0)
    frames, actions, rewards, events = [frame], [], [], []
    for step in range(length):
        action = agent.act(env)
        result = env.step(action)
        frames.append(result.frame)
        actions.append(action)
        rewards.append(result.reward)
        events.extend((step, name) for name in result.events)
        segment = agent.segments[-1]
        if agent.goal in result.events:
            segment.end = step
            agent.start_goal(str(rng.choice(goals)), step + 1)
        elif step - segment.start >= GOAL_TIMEOUT:
            agent.start_goal(str(rng.choice(goals)), step + 1)
        if result.done:
            break
    segments = [[s.goal, s.start, s.end, s.noise] for s in agent.segments]
    return Trajectory(frames=np.stack(frames), actions=actions, rewards=rewards, events=events, seed=seed,
                      meta={"segments": segments, "source": "scripted"})


def _record_to(args: tuple[int, int, str]) -> str:
    seed, length, out = args
    path = Path(out) / f"demo_{seed:07d}.npz"
    if not path.exists():
        record_demo(seed, length).save(path)
    return str(path)


def record_many(first_seed: int, episodes: int, length: int, out: str | Path, workers: int = 2) -> list[Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    jobs = [(first_seed + i, length, str(out)) for i in range(episodes)]
    if workers <= 1:
        return [Path(_record_to(j)) for j in jobs]
    with ProcessPoolExecutor(workers) as pool:
        return [Path(p) for p in pool.map(_record_to, jobs, chunksize=4)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--episodes", type=int, default=600)
    ap.add_argument("--first-seed", type=int, default=DEMO_WORLD_BASE)
    ap.add_argument("--length", type=int, default=300)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default="data/demos")
    args = ap.parse_args()
    paths = record_many(args.first_seed, args.episodes, args.length, args.out, args.workers)
    stats: dict[str, list[int]] = {}
    for p in paths:
        for goal, _start, end, _ in Trajectory.load(p).meta["segments"]:
            stats.setdefault(goal, [0, 0])
            stats[goal][0] += 1
            stats[goal][1] += end is not None
    print(json.dumps({g: f"{s[1]}/{s[0]}" for g, s in sorted(stats.items())}, indent=1))


if __name__ == "__main__":
    main()

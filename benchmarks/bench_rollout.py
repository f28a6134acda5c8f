"""Rollout throughput: the policy's batched rollouts vs raw environment steps, measured side by side.

    python benchmarks/bench_rollout.py                      # ~1 minute on 2 CPUs
    python benchmarks/bench_rollout.py --episodes 300       # the full size
    python benchmarks/bench_rollout.py --env-workers 2      # also: environments in 2 processes

Raw env: the same worlds (same seeds, same number of steps per episode) stepped with
random actions and no policy at all: the ceiling for a rollout engine on this machine.
Policy rollout: `collect_rollouts` with one batched forward pass per step over
`--batch-size` environments, frames kept. Both include world generation (reset). The
ratio says how much of the environment's own speed the policy-driven engine keeps.
"""
from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np
from _common import add_common_args, setup

from pgt_core.envs.crafter_env import CrafterEnv
from pgt_core.rollout import collect_rollouts
from pgt_core.tasks import get_task


def raw_env_steps(seeds: list[int], lengths: list[int]) -> float:
    """Seconds to reset each world and take the given number of random steps in it."""
    env = CrafterEnv()
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    for seed, n in zip(seeds, lengths, strict=True):
        env.reset(seed)
        for action in rng.integers(0, 17, n):
            env.step(int(action))
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(ap)
    ap.add_argument("--episodes", type=int, default=32)
    ap.add_argument("--max-steps", type=int, default=100)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=2, help="alternating repeats; the best time of each counts")
    ap.add_argument("--env-workers", type=int, default=0, help="also measure with environments in N processes")
    args = ap.parse_args()
    foundation, source = setup(args)
    task = replace(get_task(args.task), max_steps=args.max_steps)
    z = foundation.prompt_latent(args.task)
    seeds = list(range(7_000_000, 7_000_000 + args.episodes))
    collect_rollouts(foundation.policy, z, task, seeds[:2], batch_size=args.batch_size)  # warm up (env objects)

    policy_s, raw_s = float("inf"), float("inf")
    for _ in range(args.repeats):  # alternate the two and keep each one's best: the machine may be shared
        start = time.perf_counter()
        trajs = collect_rollouts(foundation.policy, z, task, seeds, batch_size=args.batch_size)
        policy_s = min(policy_s, time.perf_counter() - start)
        lengths = [t.length for t in trajs]
        raw_s = min(raw_s, raw_env_steps(seeds, lengths))
    steps = sum(lengths)

    print(f"policy: {source}; {args.episodes} episodes of <= {args.max_steps} steps ({steps} steps), "
          f"batch {args.batch_size}, {args.threads} torch thread(s)")
    policy_rate, raw_rate = steps / policy_s, steps / raw_s
    print(f"policy rollout: {policy_rate:.0f} steps/s, raw env: {raw_rate:.0f} steps/s, "
          f"ratio {policy_rate / raw_rate:.2f}")
    if args.env_workers > 1:
        start = time.perf_counter()
        pooled = collect_rollouts(foundation.policy, z, task, seeds, batch_size=args.batch_size,
                                  env_workers=args.env_workers)
        pooled_s = time.perf_counter() - start
        same = all(np.array_equal(a.actions, b.actions) for a, b in zip(trajs, pooled, strict=True))
        print(f"policy rollout, {args.env_workers} env processes: {steps / pooled_s:.0f} steps/s, "
              f"ratio to raw env {steps / pooled_s / raw_rate:.2f}, speedup {policy_s / pooled_s:.2f}x "
              f"(same trajectories: {same})")


if __name__ == "__main__":
    main()

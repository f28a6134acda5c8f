"""Rollout throughput: the policy's batched rollouts vs raw environment steps, measured side by side,
and what the world cache saves on a pool of worlds.

    python benchmarks/bench_rollout.py                      # ~15 minutes on 2 shared CPUs
    python benchmarks/bench_rollout.py --episodes 300       # the full size
    python benchmarks/bench_rollout.py --env-workers 2      # also: environments in 2 processes

Raw env: the same worlds (same seeds, same number of steps per episode) stepped with
random actions and no policy at all: the ceiling for a rollout engine on this machine.
Policy rollout: `collect_rollouts` with one batched forward pass per step over
`--batch-size` environments, frames kept. Both include world generation (reset). The
ratio says how much of the environment's own speed the policy-driven engine keeps. Both
generate every world afresh here (no world cache).

World cache: `--pool-episodes` rollouts over `--pool-worlds` worlds (each world played
several times, as evaluation does), with every world generated on each reset against a
cold `WorldCache` that generates each world once; for short and long episodes, with the
same trajectories checked frame by frame.
"""
from __future__ import annotations

import argparse
import time
from dataclasses import replace
from functools import partial

import numpy as np
from _common import add_common_args, setup

from pgt_core.envs.crafter_env import CrafterEnv
from pgt_core.envs.world_cache import WorldCache
from pgt_core.rollout import collect_rollouts, uncached_env_factory
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


def world_cache_speedup(foundation, z, task, args: argparse.Namespace, max_steps: int) -> None:
    """Pool rollouts with worlds generated per reset vs once per world, side by side.

    Both sides first build their `--batch-size` environment objects (reused across calls, ~100 ms
    each) on worlds outside the pool, so the timed runs differ only in world generation."""
    task = replace(task, max_steps=max_steps)
    worlds = list(range(7_000_000, 7_000_000 + args.pool_worlds))
    seeds = [worlds[k % len(worlds)] for k in range(args.pool_episodes)]
    cache = WorldCache()
    factories = {"fresh": uncached_env_factory, "cached": partial(CrafterEnv, world_cache=cache)}
    outside = list(range(7_050_000, 7_050_000 + args.batch_size))
    for factory in factories.values():
        collect_rollouts(foundation.policy, z, replace(task, max_steps=1), outside, batch_size=args.batch_size,
                         env_factory=factory)
    seconds: dict[str, float] = {}
    trajs: dict[str, list] = {}
    for _ in range(args.repeats):  # alternate the two and keep each one's best: the machine may be shared
        for name, factory in factories.items():
            cache.clear()  # every cached run starts cold: it generates each world once
            start = time.perf_counter()
            trajs[name] = collect_rollouts(foundation.policy, z, task, seeds, batch_size=args.batch_size,
                                           sample_seed=3, env_factory=factory)
            seconds[name] = min(seconds.get(name, float("inf")), time.perf_counter() - start)
    same = all(np.array_equal(a.frames, b.frames) and np.array_equal(a.actions, b.actions) and a.events == b.events
               for a, b in zip(trajs["fresh"], trajs["cached"], strict=True))
    steps = sum(t.length for t in trajs["fresh"])
    print(f"world cache, {args.pool_episodes} episodes on {args.pool_worlds} worlds, <= {max_steps} steps "
          f"({steps} steps): generated per reset {seconds['fresh']:.1f}s, once per world {seconds['cached']:.1f}s "
          f"({cache.misses} worlds generated), speedup {seconds['fresh'] / seconds['cached']:.2f}x "
          f"(identical frames: {same})", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(ap)
    ap.add_argument("--episodes", type=int, default=32)
    ap.add_argument("--max-steps", type=int, default=100)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=2, help="alternating repeats; the best time of each counts")
    ap.add_argument("--env-workers", type=int, default=0, help="also measure with environments in N processes")
    ap.add_argument("--pool-episodes", type=int, default=300)
    ap.add_argument("--pool-worlds", type=int, default=100)
    ap.add_argument("--short-steps", type=int, default=15, help="short episodes (collect_wood's limit)")
    ap.add_argument("--long-steps", type=int, default=100, help="long episodes (collect_drink's limit)")
    args = ap.parse_args()
    foundation, source = setup(args)
    task = replace(get_task(args.task), max_steps=args.max_steps)
    z = foundation.prompt_latent(args.task)
    seeds = list(range(7_000_000, 7_000_000 + args.episodes))
    run = partial(collect_rollouts, env_factory=uncached_env_factory)
    run(foundation.policy, z, task, seeds[:2], batch_size=args.batch_size)  # warm up (env objects)

    policy_s, raw_s = float("inf"), float("inf")
    for _ in range(args.repeats):  # alternate the two and keep each one's best: the machine may be shared
        start = time.perf_counter()
        trajs = run(foundation.policy, z, task, seeds, batch_size=args.batch_size)
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
        pooled = run(foundation.policy, z, task, seeds, batch_size=args.batch_size, env_workers=args.env_workers)
        pooled_s = time.perf_counter() - start
        same = all(np.array_equal(a.actions, b.actions) for a, b in zip(trajs, pooled, strict=True))
        print(f"policy rollout, {args.env_workers} env processes: {steps / pooled_s:.0f} steps/s, "
              f"ratio to raw env {steps / pooled_s / raw_rate:.2f}, speedup {policy_s / pooled_s:.2f}x "
              f"(same trajectories: {same})")
    for max_steps in (args.short_steps, args.long_steps):
        world_cache_speedup(foundation, z, task, args, max_steps)


if __name__ == "__main__":
    main()

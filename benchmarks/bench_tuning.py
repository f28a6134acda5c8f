"""One latent-tuning round, cached frame features vs the generic path, measured side by side.

    python benchmarks/bench_tuning.py                                    # ~2 minutes on 2 CPUs
    python benchmarks/bench_tuning.py --trajectories 300 --epochs 50     # the full size (the uncached
                                                                         # side then takes tens of minutes)

Both sides run `tune_latent` with DPO on the same rollouts and pairs (every ordered pair
with R_i > R_j, capped). Cached: time includes building the feature cache (CNN + GRU once
per trajectory), then each epoch runs only the FiLM head. Uncached: every epoch reruns the
whole network over the frames. Both must end at the same latent; the script checks it.
"""
from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np
import torch
from _common import add_common_args, setup

from pgt_core.logprob import FeatureCache
from pgt_core.pairs import Pair, pairs_from_rewards
from pgt_core.rollout import collect_rollouts
from pgt_core.tasks import get_task
from pgt_core.tuning import tune_latent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(ap)
    ap.add_argument("--trajectories", type=int, default=60)
    ap.add_argument("--max-steps", type=int, default=100)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--max-pairs", type=int, default=2000)
    ap.add_argument("--batch-pairs", type=int, default=None, help="pairs per Adam step (default: all)")
    args = ap.parse_args()
    foundation, source = setup(args)
    task = replace(get_task(args.task), max_steps=args.max_steps)
    z0 = foundation.prompt_latent(args.task)

    start = time.perf_counter()
    trajs = collect_rollouts(foundation.policy, z0, task, list(range(7_100_000, 7_100_000 + args.trajectories)))
    rollout_s = time.perf_counter() - start
    rewards = [t.meta["reward"] for t in trajs]
    reward_name = f"{args.task} reward"
    if len(set(rewards)) < 2:  # e.g. an untrained policy never succeeds: time the same work on a proxy
        rewards = [float(np.mean(t.actions == 5)) for t in trajs]
        reward_name = "proxy reward (share of 'do' actions; the task reward was constant)"
    pairs = pairs_from_rewards(rewards, args.max_pairs, rng=0)
    print(f"policy: {source}; {len(trajs)} trajectories, {sum(t.length for t in trajs)} steps "
          f"(rollout {rollout_s:.1f} s); {len(pairs)} pairs from {reward_name}; {args.epochs} epochs, "
          f"{args.threads} torch thread(s)")

    for cached in (True, False):  # warm up both paths (first-call allocations), untimed
        tune_latent(foundation.policy, trajs[:2], [Pair(0, 1)], z0, epochs=1, val_fraction=0, cached=cached)
    start = time.perf_counter()
    cache = FeatureCache.build(foundation.policy, trajs)
    build_s = time.perf_counter() - start
    results, seconds = {}, {}
    for cached in (cache, False):
        start = time.perf_counter()
        results[cached is not False] = tune_latent(foundation.policy, trajs, pairs, z0, epochs=args.epochs,
                                                   batch_pairs=args.batch_pairs, cached=cached)
        seconds[cached is not False] = time.perf_counter() - start
    head_s = seconds[True]
    seconds[True] += build_s
    gap = float((results[True].z - results[False].z).abs().max())
    print(f"cached: {seconds[True]:.2f} s (features once {build_s:.2f} s + tuning {head_s:.2f} s), "
          f"uncached: {seconds[False]:.2f} s, "
          f"speedup {seconds[False] / seconds[True]:.1f}x (same latent: max |dz| = {gap:.1e})")
    h = results[True].history
    print(f"held-out DPO loss {h[0].val_loss:.4f} -> {results[True].best_val_loss:.4f} (best epoch "
          f"{results[True].best_epoch})")
    assert torch.allclose(results[True].z, results[False].z, atol=1e-3), "cached and uncached latents differ"


if __name__ == "__main__":
    main()

"""Foundation training throughput: the shipped checkpoint's settings against today's defaults, side by side.

    python benchmarks/bench_train.py                 # ~4 minutes on 2 shared CPUs
    python benchmarks/bench_train.py --no-ablate     # only the two sides
    python benchmarks/bench_train.py --device cuda

Both sides train the same model (`GoalConditionedPolicy`, so checkpoints stay loadable) on the
same demonstrations, from the same initial weights, with 16 windows of 64 steps per update:
- shipped: 2 torch threads, float32, the goal CNN over every frame of every clip, batches
  sampled between updates (the settings the shipped checkpoint was trained with);
- new: `pgt_core.policy.train.Args()` defaults: 1 thread, bfloat16 autocast, the goal CNN once
  per distinct clip frame, the next batch sampled in a thread.
Printed: samples (window steps) per second and the ratio; with --ablate also the new defaults with
each change taken back out (what each one is worth where it is used), and the option of larger
batches of shorter windows, which changes the recipe and so is not a default. On a machine shared
with other jobs absolute rates move between runs; the sides run back to back in one process.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pgt_core.policy.demos import record_many  # noqa: E402
from pgt_core.policy.model import GoalConditionedPolicy, PolicyConfig  # noqa: E402
from pgt_core.policy.train import Args, DemoSet, WindowSampler, batches, load_demos, train_step  # noqa: E402
from pgt_core.seeds import BENCHMARK_WORLD_BASE  # noqa: E402

DEMO_WORLDS = BENCHMARK_WORLD_BASE + 200_000  # 7_200_000+: demonstrations of this benchmark
SHIPPED = Args(threads=2, precision="fp32", distinct_clip_frames=False, prefetch=False)


def samples_per_second(args: Args, data: DemoSet, updates: int) -> float:
    """Train a fresh policy (seeded) for 1 warm-up + `updates` updates; samples/s over the timed ones."""
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = torch.device(args.device)
    policy = GoalConditionedPolicy(PolicyConfig()).to(device)
    opt = torch.optim.Adam(policy.parameters(), lr=args.lr)
    sampler = WindowSampler(data, policy.cfg.clip_len, args.window, args.swap_prob, np.random.default_rng(0))
    stream = batches(sampler, args.batch, device, args.prefetch)
    train_step(policy, opt, next(stream), args)
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(updates):
        train_step(policy, opt, next(stream), args)
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    stream.close()
    return updates * args.batch * args.window / seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--demos", type=int, default=16, help="demonstrations (200 steps each) to train on")
    ap.add_argument("--updates", type=int, default=8, help="timed updates per side")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=None, help="the new side's threads (default: Args().threads)")
    ap.add_argument("--ablate", action=argparse.BooleanOptionalAction, default=True)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        data = load_demos(record_many(DEMO_WORLDS, a.demos, 200, tmp, workers=1))
        print(f"{a.demos} demonstrations ({len(data.frames)} frames) in {time.perf_counter() - t0:.0f}s; "
              f"{SHIPPED.batch} windows x {SHIPPED.window} steps per update, {a.updates} timed updates, "
              f"device {a.device}", flush=True)
    shipped = replace(SHIPPED, device=a.device)
    new = replace(Args(), device=a.device, **({"threads": a.threads} if a.threads else {}))
    old_rate = samples_per_second(shipped, data, a.updates)
    new_rate = samples_per_second(new, data, a.updates)
    print(f"shipped settings: {old_rate:.0f} samples/s, new defaults: {new_rate:.0f} samples/s, "
          f"speedup {new_rate / old_rate:.2f}x", flush=True)
    if a.ablate:  # each change taken back out of the new defaults, and one recipe change on top of them
        undo = (("2 threads", {"threads": SHIPPED.threads}), ("float32", {"precision": "fp32"}),
                ("the goal CNN on every clip frame", {"distinct_clip_frames": False}),
                ("no prefetch", {"prefetch": False}))
        for name, change in undo:
            rate = samples_per_second(replace(new, **change), data, a.updates)
            print(f"  new defaults but {name}: {rate:.0f} samples/s ({rate / old_rate:.2f}x the shipped settings)",
                  flush=True)
        rate = samples_per_second(replace(new, batch=64, window=16), data, a.updates)
        print(f"  new defaults with 64 windows x 16 steps (a recipe change: the GRU sees 16 steps of history): "
              f"{rate:.0f} samples/s ({rate / old_rate:.2f}x)", flush=True)

if __name__ == "__main__":
    main()

"""Active vs random pair selection at equal label budgets, labelled by the synthetic teacher.

    python benchmarks/bench_active_selection.py                      # defaults: a few minutes on 2 CPUs
    python benchmarks/bench_active_selection.py --task eat_cow --pool 96 --batch 16 --max-labels 96 \
        --repeats 4 --eval-episodes 64 --out results/active.json    # tighter numbers, ~30 min

One round of PGT on one task: a pool of rollouts under the prompt latent z0; then, for each
method, labels arrive in batches of `--batch` pairs from the teacher (prefers the higher
task reward, flips `--flip` of its answers, calls equal rewards a tie). After each batch
z is re-tuned from z0 on all labels so far (DPO, the public defaults). Random picks
unlabelled pairs uniformly; active picks the pairs with the smallest |DPO implicit margin|
under the current z (`pgt_core.active`); the first batch of both is uniform (at z = z0
every margin is 0). Each tuned latent is evaluated by its success rate on held-out world
seeds, with the same seeds and sampling streams for every latent (common random numbers).

Prints success per budget for both methods with 95% Wilson intervals, the paired difference of
each against z0 and of active against random (Newcombe interval, exact McNemar p; episodes of
all repeats pooled, each paired with the same world under the other latent), and how many labels
active selection saves to reach the success random selection reaches with the full budget. Uses the shipped
checkpoint; without it, an untrained policy (and says so): then success stays near zero
and the comparison means little.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pgt_core.active import all_pairs, implicit_rewards, least_certain, pair_margins  # noqa: E402
from pgt_core.engines import get_rollout_engine  # noqa: E402
from pgt_core.logprob import FeatureCache  # noqa: E402
from pgt_core.pairs import Pair, SyntheticTeacher  # noqa: E402
from pgt_core.policy.checkpoint import DEFAULT_CHECKPOINT, Foundation, load_foundation  # noqa: E402
from pgt_core.stats import compare_paired, format_paired, format_rate, success_rate  # noqa: E402
from pgt_core.tasks import get_task  # noqa: E402
from pgt_core.tuning import TuningError, tune_latent  # noqa: E402

POOL_SEED_BASE = 7_000_000  # tuning worlds
EVAL_SEED_BASE = 8_000_000  # held-out worlds


def load(checkpoint: str | None, task: str) -> tuple[Foundation, str]:
    path = Path(checkpoint) if checkpoint else DEFAULT_CHECKPOINT
    if path.exists():
        return load_foundation(path), str(path)
    print(f"NOTE: {path} not found; falling back to Foundation.untrained() -- success will be near zero",
          flush=True)
    return Foundation.untrained(seed=0, tasks=[task]), "untrained"


def run_method(method: str, foundation: Foundation, pool: list, rewards: np.ndarray, cache: FeatureCache,
               z0: torch.Tensor, args: argparse.Namespace, repeat: int) -> tuple[dict[int, torch.Tensor], float]:
    """Label in batches and re-tune; returns ({budget: tuned z}, share of decisive labels)."""
    rng = np.random.default_rng(1000 * repeat + 17)
    teacher = SyntheticTeacher(flip_prob=args.flip, seed=repeat)
    candidates = all_pairs(len(pool))
    remaining = np.arange(len(candidates))
    labelled: list[Pair] = []
    z = z0.clone()
    out: dict[int, torch.Tensor] = {}
    for budget in range(args.batch, args.max_labels + 1, args.batch):
        if method == "active" and labelled:
            margins = pair_margins(implicit_rewards(foundation.policy, pool, z, z0, beta=args.beta, cache=cache),
                                   [candidates[c] for c in remaining])
            picked = remaining[least_certain(margins, args.batch, explore=args.explore, rng=rng)]
        else:
            picked = rng.choice(remaining, size=min(args.batch, len(remaining)), replace=False)
        remaining = np.setdiff1d(remaining, picked)
        for c in picked:
            i, j = candidates[c]
            if rng.random() < 0.5:
                i, j = j, i  # the side shown is random
            labelled.append(Pair(i, j, teacher.label(float(rewards[i]), float(rewards[j]))))
        try:
            z = tune_latent(foundation.policy, pool, labelled, z0, beta=args.beta, epochs=args.epochs,
                            cached=cache, seed=repeat).z
        except TuningError:
            z = z0.clone()  # no decisive label yet
        out[budget] = z
    return out, float(np.mean([p.decisive for p in labelled])) if labelled else 0.0


def labels_to_reach(curve: dict[int, float], target: float) -> int | None:
    """The smallest budget from which the curve stays at or above `target` (None if it never does).

    "Stays" because curves are noisy and the first batch of both methods is the same uniform draw:
    touching the target once and falling back is not reaching it.
    """
    budgets = sorted(curve)
    for k, budget in enumerate(budgets):
        if all(curve[b] >= target - 1e-9 for b in budgets[k:]):
            return budget
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--task", default="collect_drink", help="a task the prompt solves only sometimes")
    ap.add_argument("--max-steps", type=int, default=None, help="override the task's time limit")
    ap.add_argument("--pool", type=int, default=48, help="rollouts per round (the labelling pool)")
    ap.add_argument("--batch", type=int, default=12, help="labels per acquisition step")
    ap.add_argument("--max-labels", type=int, default=48)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--eval-episodes", type=int, default=24)
    ap.add_argument("--flip", type=float, default=0.1, help="teacher noise: share of flipped answers")
    ap.add_argument("--explore", type=float, default=0.0, help="share of uniform picks in each active batch")
    ap.add_argument("--beta", type=float, default=0.1)
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--backend", default=None, help="rollout backend: local | ray (default: $PGT_ROLLOUT_BACKEND)")
    ap.add_argument("--out", default=None, help="write the results as JSON here")
    args = ap.parse_args()
    t0 = time.perf_counter()

    foundation, source = load(args.checkpoint, args.task)
    task = get_task(args.task)
    if args.max_steps:
        task = replace(task, max_steps=args.max_steps)
    engine = get_rollout_engine(args.backend)
    z0 = foundation.prompt_latent(args.task)
    pool = engine(foundation.policy, z0, task, range(POOL_SEED_BASE, POOL_SEED_BASE + args.pool), sample_seed=1)
    rewards = np.array([task.reward(t) for t in pool])
    cache = FeatureCache.build(foundation.policy, pool)
    print(f"pool: {len(pool)} rollouts of {task.name}, success {np.mean(rewards > 0):.0%}, "
          f"{time.perf_counter() - t0:.0f}s", flush=True)

    eval_seeds = list(range(EVAL_SEED_BASE, EVAL_SEED_BASE + args.eval_episodes))

    def outcomes(z: torch.Tensor) -> np.ndarray:
        trajs = engine(foundation.policy, z, task, eval_seeds, keep_frames=False, sample_seed=2)
        return np.array([task.success(t) for t in trajs], dtype=bool)

    base_outcomes = outcomes(z0)
    base = float(base_outcomes.mean())
    budgets = list(range(args.batch, args.max_labels + 1, args.batch))
    curves: dict[str, dict[int, list[float]]] = {"random": {b: [] for b in budgets}, "active": {b: [] for b in budgets}}
    episodes: dict[str, dict[int, list[np.ndarray]]] = {m: {b: [] for b in budgets} for m in curves}
    decisive: dict[str, list[float]] = {"random": [], "active": []}
    for repeat in range(args.repeats):
        for method in ("random", "active"):
            zs, share = run_method(method, foundation, pool, rewards, cache, z0, args, repeat)
            decisive[method].append(share)
            for budget, z in zs.items():
                won = outcomes(z)
                episodes[method][budget].append(won)
                curves[method][budget].append(float(won.mean()))
            print(f"repeat {repeat} {method}: " + ", ".join(f"{b}:{curves[method][b][-1]:.0%}" for b in budgets)
                  + f"  ({time.perf_counter() - t0:.0f}s)", flush=True)

    mean = {m: {b: float(np.mean(v)) for b, v in c.items()} for m, c in curves.items()}
    target = mean["random"][budgets[-1]]
    need_random, need_active = labels_to_reach(mean["random"], target), labels_to_reach(mean["active"], target)
    saved = None if need_active is None else need_random - need_active
    print()
    print(f"checkpoint: {source}; task {task.name} (max_steps {task.max_steps}); z0 success {base:.0%}; "
          f"{args.repeats} repeats x {args.eval_episodes} eval episodes; teacher flip {args.flip}")
    pooled = {m: {b: np.concatenate(v) for b, v in c.items()} for m, c in episodes.items()}
    base_pooled = np.tile(base_outcomes, args.repeats)
    print(f"z0: {format_rate(success_rate(base_outcomes))}; success [95% CI] over {args.repeats} x "
          f"{args.eval_episodes} episodes; differences in points [95% CI] with exact McNemar p (* p < 0.05)")
    print("| labels | random | active | random - z0 | active - z0 | active - random |")
    print("|---|---|---|---|---|---|")
    comparisons = {}
    for b in budgets:
        r, a = pooled["random"][b], pooled["active"][b]
        comparisons[b] = {"random_vs_z0": compare_paired(base_pooled, r),
                          "active_vs_z0": compare_paired(base_pooled, a), "active_vs_random": compare_paired(r, a)}
        c = comparisons[b]
        print(f"| {b} | {format_rate(success_rate(r))} | {format_rate(success_rate(a))} | "
              f"{format_paired(c['random_vs_z0'])} | {format_paired(c['active_vs_z0'])} | "
              f"{format_paired(c['active_vs_random'])} |")
    print(f"decisive labels (not tie): random {np.mean(decisive['random']):.0%}, "
          f"active {np.mean(decisive['active']):.0%}")
    if target <= base + 1e-9:
        print(f"random selection did not improve on z0 ({base:.1%}) within {budgets[-1]} labels: "
              "the labels-saved figure below means little (try more labels or the trained checkpoint)")
    if need_active is None:
        print(f"active selection does not stay at random's final {target:.1%} (random stays there from "
              f"{need_random} labels): no labels saved")
    else:
        print(f"to stay at {target:.1%}: random needs {need_random} labels, active {need_active}: "
              f"{saved} labels saved ({saved / need_random:.0%})")
    print(f"total {time.perf_counter() - t0:.0f}s")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps({"checkpoint": source, "task": task.name, "z0_success": base,
                                              "args": vars(args), "curves": curves, "mean": mean,
                                              "decisive_share": decisive, "labels_needed_random": need_random,
                                              "comparisons": {b: {k: v.to_dict() for k, v in c.items()}
                                                              for b, c in comparisons.items()},
                                              "labels_needed_active": need_active, "labels_saved": saved}, indent=1))


if __name__ == "__main__":
    main()

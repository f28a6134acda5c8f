"""People-sized rounds: policy improvement per minute of a simulated person's time, per feedback mode.

    python benchmarks/bench_label_budget.py --out runs/label_budget.json     # the full grid (see README)
    python benchmarks/bench_label_budget.py --quick                          # every step in about a minute

Per task: one pool of episodes under the prompt latent z0 (the round's rollouts) and one set of
evaluation worlds, shared by every configuration. A simulated person (`pgt_core.simulated_person`;
noise = share of wrong answers) answers in each feedback mode -- pairwise, per-episode good/bad,
best-of-K best/worst -- on the seconds-per-answer model of `pgt_core.human_time` (watching at the
playback speed plus deciding), with random or active selection (pairwise and best-of-K), until each
budget of minutes is spent; budgets are nested prefixes of one person's answers. The answers become
pairs by `pgt_core.feedback`'s rule, z is tuned from z0 (`tune_latent` defaults, `split_by` per mode,
with the default guard and, where asked, other guards on the same answers) and evaluated on the same
worlds with the same action streams as z0. Printed: success with 95% intervals, the mean relative
improvement over tasks with a paired bootstrap interval, per-task paired tests against z0, each mode
against pairwise at equal minutes, and the guard comparison. Uses one torch thread; run it niced.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _budget_report import report  # noqa: E402
from _budget_streams import run_stream  # noqa: E402

from pgt_core.active import implicit_rewards  # noqa: E402
from pgt_core.feedback import SPLIT_BY  # noqa: E402
from pgt_core.guard import NO_GUARD, Guard  # noqa: E402
from pgt_core.human_time import SecondsModel, seconds_per_answer  # noqa: E402
from pgt_core.logprob import FeatureCache  # noqa: E402
from pgt_core.policy.checkpoint import DEFAULT_CHECKPOINT, Foundation, load_foundation  # noqa: E402
from pgt_core.rollout import collect_rollouts  # noqa: E402
from pgt_core.seeds import BENCHMARK_WORLD_BASE  # noqa: E402
from pgt_core.simulated_person import Episode, SimulatedPerson  # noqa: E402
from pgt_core.tasks import get_task  # noqa: E402
from pgt_core.trajectory import Trajectory  # noqa: E402
from pgt_core.tuning import DEFAULT_GUARD, TuningError, tune_latent  # noqa: E402

POOL_WORLD_BASE = BENCHMARK_WORLD_BASE + 300_000  # 7_300_000+: the round's rollouts
EVAL_WORLD_BASE = BENCHMARK_WORLD_BASE + 1_600_000  # 8_600_000+: unseen evaluation worlds
WORLDS_PER_SEED = 10_000  # --seed k plays worlds of its own: base + k * 10_000
DEFAULT_TASKS = ["collect_wood", "place_table", "make_wood_pickaxe", "make_wood_sword"]


Variant = tuple[Guard, dict]


def parse_variant(text: str) -> Variant:
    """A tuning variant: 'default' (tune_latent's defaults), 'none' (no guard), or changes to the defaults
    such as 'kl=0.05', 'kl=none,l2=0.5', 'val=0', 'kl=0.1,unit=0.001,epochs=100' (kl, l2, unit: guard limits,
    unit = KL per unit of evidence; val, epochs, lr, beta: tune_latent arguments)."""
    if text == "default":
        return DEFAULT_GUARD, {}
    if text == "none":
        return NO_GUARD, {}
    parts = dict(part.split("=") for part in text.split(","))
    unknown = set(parts) - {"kl", "l2", "unit", "val", "epochs", "lr", "beta"}
    if unknown:
        raise SystemExit(f"unknown setting(s) {sorted(unknown)} in {text!r}")

    def limit(key: str, default: float | None) -> float | None:
        return default if key not in parts else None if parts[key] == "none" else float(parts[key])

    guard = Guard(max_kl=limit("kl", DEFAULT_GUARD.max_kl), max_l2=limit("l2", DEFAULT_GUARD.max_l2),
                  kl_per_unit=limit("unit", DEFAULT_GUARD.kl_per_unit))
    names = {"val": "val_fraction", "epochs": "epochs", "lr": "lr", "beta": "beta"}
    kwargs = {names[k]: (int(v) if k == "epochs" else float(v)) for k, v in parts.items() if k in names}
    return guard, kwargs


def stripped(t: Trajectory) -> Trajectory:
    """The record without its frames (features are cached): hundreds of pool episodes fit in memory."""
    out = Trajectory(np.zeros((t.length + 1, 0, 0, 3), np.uint8), t.actions, t.rewards, t.events, t.seed)
    out.meta = dict(t.meta)
    return out


def evaluate(policy: torch.nn.Module, latents: list[torch.Tensor], task, seeds: list[int],
             chunk: int = 8) -> list[np.ndarray]:
    """Success of each latent on the same worlds and action streams (several latents per rollout call).

    Equal latents are played once: within one call a repeated (world, latent) is a new episode with
    its own action stream, which would make a latent equal to z0 (tuning that changed nothing) look
    different from z0. The worlds are generated once (the rollouts' process-wide world cache).
    """
    keys = [z.detach().float().numpy().tobytes() for z in latents]
    unique = list(dict.fromkeys(keys))
    first = {k: latents[keys.index(k)] for k in unique}
    won_of: dict[bytes, np.ndarray] = {}
    for s in range(0, len(unique), chunk):
        part = unique[s:s + chunk]
        z = torch.stack([first[k] for k in part for _ in seeds])
        trajs = collect_rollouts(policy, z, task, seeds * len(part), batch_size=64, keep_frames=False, sample_seed=2)
        won = np.array([task.success(t) for t in trajs], dtype=bool).reshape(len(part), len(seeds))
        won_of.update(zip(part, won, strict=True))
    return [won_of[k] for k in keys]


def run_task(name: str, foundation: Foundation, args: argparse.Namespace, variants: dict[str, Variant],
             log) -> dict:
    task = get_task(name)
    if args.max_steps:
        task = replace(task, max_steps=args.max_steps)
    policy, z0 = foundation.policy, foundation.prompt_latent(name)
    model = SecondsModel(speed=args.speed)
    frames = task.max_steps + 1
    needed = int(max(args.minutes) * 60 // seconds_per_answer("per_episode", frames, model=model)) + 1
    pool_size = min(args.pool_max, needed)
    t0 = time.perf_counter()
    pool_base = POOL_WORLD_BASE + WORLDS_PER_SEED * args.seed
    full = collect_rollouts(policy, z0, task, range(pool_base, pool_base + pool_size), sample_seed=1)
    cache = FeatureCache.build(policy, full)
    trajs = [stripped(t) for t in full]
    del full
    pool = [Episode(k, task.reward(t), t.length + 1) for k, t in enumerate(trajs)]
    eval_base = EVAL_WORLD_BASE + WORLDS_PER_SEED * args.seed
    eval_seeds = list(range(eval_base, eval_base + args.eval_episodes))
    z0 = z0.detach().float()
    log(f"{name}: pool {pool_size} episodes ({np.mean([e.reward > 0 for e in pool]):.0%} successful, "
        f"{time.perf_counter() - t0:.0f}s)")

    def tune(pairs, mode: str, variant: Variant) -> tuple[torch.Tensor, dict]:
        guard, kwargs = variant
        try:
            res = tune_latent(policy, trajs, pairs, z0, cached=cache, split_by=SPLIT_BY[mode], guard=guard,
                              seed=args.seed, **kwargs)
        except TuningError:
            return z0.clone(), {"best_epoch": 0, "kl": 0.0, "l2": 0.0, "n_pairs": 0}
        return res.z, {"best_epoch": res.best_epoch, "kl": res.kl, "l2": res.drift.l2,
                       "n_pairs": res.n_train + res.n_val}

    def rewards_of(pairs, mode: str) -> np.ndarray:
        z, _ = tune(pairs, mode, variants["default"])
        return implicit_rewards(policy, trajs, z, z0, cache=cache)

    configs, latents = [], []
    for noise in args.noise:
        for mode in args.modes:
            selections = ["random"] + (["active"] if mode != "per_episode" and noise in args.active_noise else [])
            for selection in selections:
                seed = args.seed * 1000 + int(noise * 100) * 10 + args.modes.index(mode)
                person = SimulatedPerson(noise, seed=seed, model=model)
                stream = run_stream(mode, selection, pool, person, max(args.minutes), k=args.k,
                                    batch_minutes=args.batch_minutes, explore=args.explore, rewards_of=rewards_of,
                                    seed=seed)
                for minutes in args.minutes:
                    n = stream.count_within(minutes)
                    pairs = stream.pairs(n)
                    for gname, variant in variants.items():
                        if gname != "default" and (noise not in args.variant_noise or selection != "random"):
                            continue
                        z, info = tune(pairs, mode, variant)
                        latents.append(z)
                        configs.append({"noise": noise, "mode": mode, "selection": selection, "variant": gname,
                                        "minutes": minutes, "answers": n,
                                        "minutes_used": stream.seconds[n - 1] / 60 if n else 0.0, **info})
        log(f"{name}: noise {noise:.0%} tuned ({len(latents)} latents so far, {time.perf_counter() - t0:.0f}s)")
    outcomes = evaluate(policy, [z0, *latents], task, eval_seeds)
    z0_won = outcomes[0]
    for cfg, won in zip(configs, outcomes[1:], strict=True):
        cfg["outcomes"] = won.astype(int).tolist()
    log(f"{name}: z0 {z0_won.mean():.0%}; {len(latents)} latents evaluated ({time.perf_counter() - t0:.0f}s)")
    return {"task": name, "max_steps": task.max_steps, "pool": pool_size, "z0": z0_won.astype(int).tolist(),
            "configs": configs}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--tasks", nargs="+", default=DEFAULT_TASKS)
    ap.add_argument("--max-steps", type=int, default=None, help="override every task's time limit")
    ap.add_argument("--noise", nargs="+", type=float, default=[0.0, 0.1, 0.2])
    ap.add_argument("--minutes", nargs="+", type=float, default=[5, 10, 20, 40])
    ap.add_argument("--modes", nargs="+", default=["pairwise", "per_episode", "best_of_k"])
    ap.add_argument("--active-noise", nargs="*", type=float, default=[0.1], help="noise levels with active variants")
    ap.add_argument("--variants", nargs="+", default=["default", "none"],
                    help="tuning variants on the same answers: 'default', 'none' (no guard), 'kl=0.05,val=0', ...")
    ap.add_argument("--variant-noise", nargs="*", type=float, default=[0.1], help="noise levels with other variants")
    ap.add_argument("--k", type=int, default=4, help="videos per best-of-K answer")
    ap.add_argument("--speed", type=float, default=1.0, help="playback speed in the seconds model")
    ap.add_argument("--batch-minutes", type=float, default=2.5, help="active selection re-ranks this often")
    ap.add_argument("--explore", type=float, default=0.2, help="share of uniform picks in active batches")
    ap.add_argument("--eval-episodes", type=int, default=100)
    ap.add_argument("--pool-max", type=int, default=600)
    ap.add_argument("--seed", type=int, default=0, help="person streams and worlds (pool and evaluation) of its own")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="tiny sizes: checks every step, measures nothing")
    ap.add_argument("--out", default=None, help="write every configuration's outcomes as JSON here")
    args = ap.parse_args()
    if args.quick:
        args.tasks, args.noise, args.minutes = args.tasks[:2], [0.1], [1, 2]
        args.eval_episodes, args.pool_max, args.batch_minutes, args.max_steps = 8, 24, 0.5, args.max_steps or 12
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()

    def log(msg: str) -> None:
        print(f"[{time.perf_counter() - t0:6.0f}s] {msg}", flush=True)

    path = Path(args.checkpoint) if args.checkpoint else DEFAULT_CHECKPOINT
    foundation = load_foundation(path) if path.exists() else Foundation.untrained(seed=0, tasks=args.tasks)
    source = str(path) if path.exists() else "untrained (no checkpoint)"
    variants = {v: parse_variant(v) for v in ["default", *args.variants]}
    results = {"checkpoint": source, "args": vars(args), "default_guard": DEFAULT_GUARD.to_dict(), "tasks": []}
    for name in args.tasks:
        results["tasks"].append(run_task(name, foundation, args, variants, log))
        if args.out:
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            Path(args.out).write_text(json.dumps(results))
    results["seconds"] = time.perf_counter() - t0
    print(report(results))
    print(f"total {results['seconds'] / 60:.1f} min on {args.threads} torch thread(s)")
    if args.out:
        Path(args.out).write_text(json.dumps(results))


if __name__ == "__main__":
    main()

"""People-sized rounds: policy improvement per minute of a simulated person's time, per feedback mode.

    python benchmarks/bench_label_budget.py --out runs/label_budget.json     # the full grid (see README)
    python benchmarks/bench_label_budget.py --quick                          # every step, tiny, measures nothing
    python benchmarks/bench_label_budget.py --show-worlds --seed 3           # the world seeds a run would use

Per task: one pool of episodes under the prompt latent z0 (a first round's rollouts) and one set of
evaluation worlds, shared by every configuration. A simulated person (`pgt_core.simulated_person`;
noise = share of wrong answers) answers in each feedback mode -- pairwise, per-episode good/bad,
best-of-K best/worst -- on the seconds-per-answer model of `pgt_core.human_time` (watching at the
playback speed plus deciding), items made and ordered as the app makes them (`_budget_streams`).
Each budget of minutes is spent one of two ways, at equal total minutes:
- 1 round: every minute on the z0 pool, then one tune from z0;
- 2 rounds: `--first-share` of the minutes on the z0 pool, a tune from z0 (z1), a fresh pool of z1's
  rollouts on the second round's worlds, the rest of the minutes on it, items in random or active order
  (implicit rewards under z1, as the app orders a round), then a tune from z1 on both rounds' answers,
  as the app's tune job does (`_budget_rounds`).
Active selection exists for pairwise and best-of-K (as in the app) and only in second rounds: in a first
round every episode is z0's, every implicit reward is 0, and the app's active order is random order.
Tuning: `tune_latent` defaults (its guard included; other variants on the same answers where asked).
Every latent is evaluated on the same worlds with the same action streams as z0. Printed: success and
mean relative improvement over z0 per budget with 95% intervals, per-task success and paired tests,
modes, rounds and selections head to head, and the guard comparison. One torch thread; run it niced.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _budget_report import report  # noqa: E402
from _budget_rounds import SecondRound, Variant, play_second_round, roll_pool, second_round_size, tune  # noqa: E402
from _budget_streams import Stream, answer_items, pairs_of, round_items  # noqa: E402

from labeler.domain.round_config import RoundConfig  # noqa: E402
from labeler.domain.round_items import items_for_episodes  # noqa: E402
from pgt_core.envs.world_cache import SHARED  # noqa: E402
from pgt_core.guard import NO_GUARD, Guard  # noqa: E402
from pgt_core.human_time import SecondsModel, seconds_per_answer  # noqa: E402
from pgt_core.policy.checkpoint import DEFAULT_CHECKPOINT, Foundation, load_foundation  # noqa: E402
from pgt_core.rollout import collect_rollouts  # noqa: E402
from pgt_core.seeds import BENCHMARK_WORLD_BASE  # noqa: E402
from pgt_core.simulated_person import SimulatedPerson  # noqa: E402
from pgt_core.tasks import get_task  # noqa: E402
from pgt_core.tuning import DEFAULT_GUARD  # noqa: E402

POOL_WORLD_BASE = BENCHMARK_WORLD_BASE + 300_000  # 7_300_000+: first rounds' rollouts (+5_000: second rounds')
EVAL_WORLD_BASE = BENCHMARK_WORLD_BASE + 1_600_000  # 8_600_000+: unseen evaluation worlds
WORLDS_PER_SEED = 10_000  # --seed k plays worlds of its own: base + k * 10_000
SECOND_ROUND_OFFSET = 5_000  # within a seed's block: round 2's worlds, as the app gives each round its own
MAX_SEED = (EVAL_WORLD_BASE - POOL_WORLD_BASE) // WORLDS_PER_SEED - 1  # pools stay below the evaluation worlds
DEFAULT_TASKS = ["collect_wood", "place_table", "make_wood_pickaxe", "make_wood_sword"]
MODES = ["pairwise", "per_episode", "best_of_k"]


def world_blocks(seed: int) -> dict[str, list[int]]:
    """[first, end) world seeds of each use for `--seed`: disjoint within a seed and between seeds."""
    if not 0 <= seed <= MAX_SEED:
        raise SystemExit(f"--seed must be in 0..{MAX_SEED}")
    pool = POOL_WORLD_BASE + WORLDS_PER_SEED * seed
    evaluation = EVAL_WORLD_BASE + WORLDS_PER_SEED * seed
    return {"round1": [pool, pool + SECOND_ROUND_OFFSET],
            "round2": [pool + SECOND_ROUND_OFFSET, pool + WORLDS_PER_SEED],
            "evaluation": [evaluation, evaluation + WORLDS_PER_SEED]}


def parse_variant(text: str) -> Variant:
    """A tuning variant: 'default' (tune_latent's defaults), 'none' (no guard), or changes to the defaults
    such as 'kl=0.05', 'kl=none,l2=0.5', 'val=0.2', 'kl=0.1,unit=0.001,epochs=100' (kl, l2, unit: guard limits,
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


class TaskRun:
    """One task: its first-round pool, its evaluation worlds, and every configuration's tuned latent."""

    def __init__(self, name: str, foundation: Foundation, args: argparse.Namespace, variants: dict[str, Variant],
                 log: Callable[[str], None]) -> None:
        self.task = get_task(name)
        if args.max_steps:
            self.task = replace(self.task, max_steps=args.max_steps)
        self.args, self.variants, self.log, self.t0 = args, variants, log, time.perf_counter()
        self.policy, self.z0 = foundation.policy, foundation.prompt_latent(name).detach().float()
        self.model, self.worlds = SecondsModel(speed=args.speed), world_blocks(args.seed)
        self.longest = max(args.minutes) * 60
        per_grade = seconds_per_answer("per_episode", self.task.max_steps + 1, model=self.model)
        size = min(args.pool_max, int(self.longest // per_grade) + 1)
        start = self.worlds["round1"][0]
        self.pool1 = roll_pool(self.policy, self.z0, self.task, range(start, start + size), first_id=0, latent="z0",
                               sample_seed=1)
        self.latent_of = {e: self.pool1.latent for e in self.pool1.ids}
        self.first_tunes: dict[tuple, tuple[torch.Tensor, dict]] = {}
        self.configs: list[dict] = []
        self.latents: list[torch.Tensor] = []
        log(f"{name}: round-1 pool {size} episodes ({self.pool1.success_rate():.0%} successful, {self.elapsed()})")

    def elapsed(self) -> str:
        return f"{time.perf_counter() - self.t0:.0f}s"

    def first_stream(self, noise: float, mode: str, seed: int) -> Stream:
        """The person's answers on the z0 pool for the longest budget (shorter budgets take a prefix)."""
        shortest = seconds_per_answer(mode, min(e.frames for e in self.pool1.episodes.values()), k=self.args.k,
                                      model=self.model)
        per_repeat = items_for_episodes(RoundConfig(feedback=mode, k=self.args.k), len(self.pool1.trajs))
        repeats = 1 if mode == "per_episode" else max(1, math.ceil(self.longest / shortest / per_repeat))
        items = round_items(mode, self.pool1.ids, k=self.args.k, seed=seed, repeats=repeats)
        return answer_items(mode, items, self.pool1.episodes, SimulatedPerson(noise, seed=seed, model=self.model),
                            self.longest)

    def first_round(self, noise: float, mode: str, vname: str, first: Stream, n: int) -> tuple[torch.Tensor, dict]:
        """The tune from z0 on the first n answers (shared by 1-round budgets and 2-round first rounds)."""
        key = (noise, mode, vname, n)
        if key not in self.first_tunes:
            pairs = pairs_of(mode, first.answers[:n], self.latent_of)
            self.first_tunes[key] = tune(self.policy, self.pool1.trajs, self.pool1.cache, pairs, self.z0, mode,
                                         self.variants[vname], self.args.seed)
        return self.first_tunes[key]

    def add(self, z: torch.Tensor, record: dict) -> None:
        self.latents.append(z)
        self.configs.append(record)

    def budget(self, noise: float, mode: str, vname: str, first: Stream, b: int, seed: int) -> None:
        """Every configuration of the b-th budget: 1 round, and 2 rounds with each selection."""
        args, minutes = self.args, self.args.minutes[b]
        base = {"noise": noise, "mode": mode, "variant": vname, "minutes": minutes}
        if 1 in args.rounds:
            n = first.count_within(minutes * 60)
            z, info = self.first_round(noise, mode, vname, first, n)
            self.add(z, {**base, "rounds": 1, "selection": "random", "answers": n, "answers_first": n,
                         "minutes_used": first.used(n) / 60, **info})
        if 2 not in args.rounds:
            return
        n1 = first.count_within(minutes * 60 * args.first_share)
        z1, _ = self.first_round(noise, mode, vname, first, n1)
        rest = minutes * 60 - first.used(n1)
        size = min(args.pool_max, second_round_size(mode, rest, self.pool1.mean_frames(), args.k, self.model))
        seeds = range(self.worlds["round2"][0], self.worlds["round2"][0] + size)
        played = play_second_round(
            self.policy, self.task, SecondRound(mode, first, n1, self.pool1, self.z0, z1), seeds, seconds=rest,
            selections=["random"] + (["active"] if mode != "per_episode" else []), person_seed=seed * 100 + b + 50,
            noise=noise, k=args.k, model=self.model, variant=self.variants[vname], tune_seed=args.seed)
        for rec in played:
            z, used = rec.pop("z"), first.used(n1) + rec.pop("second_seconds")
            self.add(z, {**base, "rounds": 2, "answers": n1 + rec["answers_second"], "answers_first": n1,
                         "first_minutes_used": first.used(n1) / 60, "minutes_used": used / 60, **rec})

    def run(self) -> dict:
        args = self.args
        for noise in args.noise:
            for mode in args.modes:
                seed = args.seed * 1000 + int(round(noise * 100)) * 10 + MODES.index(mode)
                first = self.first_stream(noise, mode, seed)
                for vname in self.variants:
                    for b, minutes in enumerate(args.minutes):
                        if vname == "default" or (noise in args.variant_noise and minutes in args.variant_minutes):
                            self.budget(noise, mode, vname, first, b, seed)
            self.log(f"{self.task.name}: noise {noise:.0%} tuned ({len(self.latents)} latents, {self.elapsed()})")
        start = self.worlds["evaluation"][0]
        outcomes = evaluate(self.policy, [self.z0, *self.latents], self.task,
                            list(range(start, start + args.eval_episodes)))
        for cfg, won in zip(self.configs, outcomes[1:], strict=True):
            cfg["outcomes"] = won.astype(int).tolist()
        self.log(f"{self.task.name}: z0 {outcomes[0].mean():.0%}; {len(self.latents)} latents evaluated "
                 f"({self.elapsed()})")
        return {"task": self.task.name, "max_steps": self.task.max_steps, "pool": len(self.pool1.trajs),
                "worlds": self.worlds, "z0": outcomes[0].astype(int).tolist(), "configs": self.configs}


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--tasks", nargs="+", default=DEFAULT_TASKS)
    ap.add_argument("--max-steps", type=int, default=None, help="override every task's time limit")
    ap.add_argument("--noise", nargs="+", type=float, default=[0.0, 0.1, 0.2])
    ap.add_argument("--minutes", nargs="+", type=float, default=[5, 10, 20, 40])
    ap.add_argument("--modes", nargs="+", default=MODES, choices=MODES)
    ap.add_argument("--rounds", nargs="+", type=int, default=[1, 2], choices=[1, 2],
                    help="1: every minute on z0's episodes; 2: a share of them, a tune, the rest on z1's episodes")
    ap.add_argument("--first-share", type=float, default=0.5, help="2 rounds: share of the minutes in round 1")
    ap.add_argument("--variants", nargs="+", default=["default", "none"],
                    help="tuning variants on the same answers: 'default', 'none' (no guard), 'kl=0.05,val=0.2', ...")
    ap.add_argument("--variant-noise", nargs="*", type=float, default=[0.1], help="noise levels with other variants")
    ap.add_argument("--variant-minutes", nargs="*", type=float, default=None,
                    help="budgets with other variants (default: every budget)")
    ap.add_argument("--k", type=int, default=4, help="videos per best-of-K answer")
    ap.add_argument("--speed", type=float, default=1.0, help="playback speed in the seconds model")
    ap.add_argument("--epochs", type=int, default=None, help="tuning epochs (default: tune_latent's)")
    ap.add_argument("--eval-episodes", type=int, default=100)
    ap.add_argument("--pool-max", type=int, default=800, help="most episodes in one round's pool")
    ap.add_argument("--seed", type=int, default=0,
                    help="a run of its own: person streams, and worlds (pools and evaluation) no other seed plays")
    ap.add_argument("--show-worlds", action="store_true", help="print the world seeds of --seed as JSON and exit")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="tiny sizes: checks every step, measures nothing")
    ap.add_argument("--out", default=None, help="write every configuration's outcomes as JSON here")
    args = ap.parse_args()
    if args.quick:
        args.tasks, args.noise, args.minutes, args.epochs = args.tasks[:1], [0.1], [1, 2], args.epochs or 5
        args.eval_episodes, args.pool_max, args.max_steps = 4, 10, args.max_steps or 6
        args.variant_minutes = args.variant_minutes or [2]
    if args.variant_minutes is None:
        args.variant_minutes = args.minutes
    if not 0 < args.first_share < 1:
        raise SystemExit("--first-share must be between 0 and 1")
    return args


def main() -> None:
    args = parse_args()
    if args.show_worlds:
        print(json.dumps(world_blocks(args.seed)))
        return
    torch.set_num_threads(args.threads)
    SHARED.max_worlds = max(SHARED.max_worlds, 2 * args.pool_max + args.eval_episodes)  # second rounds replay
    t0 = time.perf_counter()

    def log(msg: str) -> None:
        print(f"[{time.perf_counter() - t0:6.0f}s] {msg}", flush=True)

    path = Path(args.checkpoint) if args.checkpoint else DEFAULT_CHECKPOINT
    foundation = load_foundation(path) if path.exists() else Foundation.untrained(seed=0, tasks=args.tasks)
    source = str(path) if path.exists() else "untrained (no checkpoint)"
    variants = {v: parse_variant(v) for v in ["default", *args.variants]}
    if args.epochs:
        variants = {n: (g, {"epochs": args.epochs, **kw}) for n, (g, kw) in variants.items()}
    results = {"checkpoint": source, "args": vars(args), "default_guard": DEFAULT_GUARD.to_dict(), "tasks": []}
    for name in args.tasks:
        results["tasks"].append(TaskRun(name, foundation, args, variants, log).run())
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

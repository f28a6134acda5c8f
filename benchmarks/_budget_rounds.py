"""The pieces of one task's rounds in bench_label_budget.py: pools of episodes, tuning as the app's tune job
does, and the second round.

What the app does, and so what this does (labeler.domain.round_jobs, labeler.worker.runners):
- a round's episodes are rolled out under the round's latent on that round's own worlds;
- a tune job reads every resolved preference of the task so far (all rounds) and tunes from the round's
  start latent, which is also its reference (`tune_latent`'s z0 and the guard's start);
- a second round starts from the promoted candidate z1: its episodes are z1's rollouts, and with active
  selection each episode's implicit reward beta * (log pi(tau | z1) - log pi(tau | z0)) (z0 = the task's
  prompt latent) orders the round's items once, when the round is made;
- per-episode grades pair only episodes of the same latent.
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _budget_streams import Stream, answer_items, pairs_of, round_items  # noqa: E402

from labeler.domain.round_config import RoundConfig  # noqa: E402
from labeler.domain.round_items import episodes_for_items  # noqa: E402
from pgt_core.active import implicit_rewards  # noqa: E402
from pgt_core.feedback import SPLIT_BY  # noqa: E402
from pgt_core.guard import Guard  # noqa: E402
from pgt_core.human_time import SecondsModel, seconds_per_answer  # noqa: E402
from pgt_core.logprob import FeatureCache  # noqa: E402
from pgt_core.pairs import Pair  # noqa: E402
from pgt_core.rollout import collect_rollouts  # noqa: E402
from pgt_core.simulated_person import Episode, SimulatedPerson  # noqa: E402
from pgt_core.tasks import Task  # noqa: E402
from pgt_core.trajectory import Trajectory  # noqa: E402
from pgt_core.tuning import TuningError, tune_latent  # noqa: E402

Variant = tuple[Guard, dict]
SPARE = 1.25  # a second round has this many more items than the plan says fit: its episodes may be shorter
ROLLOUT_CHUNK = 128  # episodes rolled out (frames in memory) before their features are cached


@dataclass
class Pool:
    """One round's episodes: features cached, frames dropped (hundreds fit in memory)."""

    trajs: list[Trajectory]
    cache: FeatureCache
    episodes: dict[int, Episode]  # by id: first_id, first_id + 1, ...
    latent: str  # the latent that played them: per-episode grades pair within one latent

    @property
    def ids(self) -> list[int]:
        return list(self.episodes)

    def success_rate(self) -> float:
        return float(np.mean([e.reward > 0 for e in self.episodes.values()]))

    def mean_frames(self) -> int:
        """What the app's round plan takes as a video's length: the mean over the task's episodes so far."""
        return math.ceil(np.mean([e.frames for e in self.episodes.values()]))


def _stripped(t: Trajectory) -> Trajectory:
    out = Trajectory(np.zeros((t.length + 1, 0, 0, 3), np.uint8), t.actions, t.rewards, t.events, t.seed)
    out.meta = dict(t.meta)
    return out


def joined_cache(caches: Sequence[FeatureCache]) -> FeatureCache:
    """One cache over several caches' trajectories, in order (padded to the longest)."""
    t = max(c.features.shape[1] for c in caches)

    def pad(x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.pad(x, (0, 0) * (x.dim() - 2) + (0, t - x.shape[1]))

    return FeatureCache(torch.cat([pad(c.features) for c in caches]), torch.cat([pad(c.actions) for c in caches]),
                        torch.cat([pad(c.mask) for c in caches]))


def roll_pool(policy: torch.nn.Module, z: torch.Tensor, task: Task, seeds: Sequence[int], *, first_id: int,
              latent: str, sample_seed: int) -> Pool:
    trajs, caches = [], []
    for s in range(0, len(seeds), ROLLOUT_CHUNK):
        full = collect_rollouts(policy, z, task, seeds[s:s + ROLLOUT_CHUNK], sample_seed=sample_seed)
        caches.append(FeatureCache.build(policy, full))
        trajs += [_stripped(t) for t in full]
    episodes = {first_id + k: Episode(first_id + k, task.reward(t), t.length + 1) for k, t in enumerate(trajs)}
    return Pool(trajs, joined_cache(caches), episodes, latent)


def tune(policy: torch.nn.Module, trajs: list[Trajectory], cache: FeatureCache, pairs: list[Pair],
         start: torch.Tensor, mode: str, variant: Variant, seed: int) -> tuple[torch.Tensor, dict]:
    """`tune_latent` from `start`, referenced to it, as a tune job; no decisive pair leaves `start` as it is."""
    guard, kwargs = variant
    try:
        res = tune_latent(policy, trajs, pairs, start, cached=cache, split_by=SPLIT_BY[mode], guard=guard, seed=seed,
                          **kwargs)
    except TuningError:
        return start.clone(), {"best_epoch": 0, "kl": 0.0, "l2": 0.0, "n_pairs": 0}
    return res.z, {"best_epoch": res.best_epoch, "kl": res.kl, "l2": res.drift.l2, "n_pairs": res.n_train + res.n_val}


def second_round_size(mode: str, seconds: float, frames: int, k: int, model: SecondsModel) -> int:
    """Episodes for a round that fills `seconds` of one person, by the app's plan (`labeler.domain.round_plan`)."""
    per = seconds_per_answer(mode, frames, k=k, model=model)
    items = math.ceil(max(1, int(seconds // per)) * SPARE)
    return max(episodes_for_items(RoundConfig(feedback=mode, k=k), items), k if mode == "best_of_k" else 2)


@dataclass
class SecondRound:
    """What round 1 left behind for round 2 at one budget."""

    mode: str
    first: Stream  # round 1's answers (a prefix of them counts)
    n_first: int
    pool1: Pool
    z0: torch.Tensor  # the prompt latent: implicit rewards are referenced to it
    z1: torch.Tensor  # round 1's tuned latent: plays round 2, starts and references its tuning


def play_second_round(policy: torch.nn.Module, task: Task, r: SecondRound, seeds: Sequence[int], *, seconds: float,
                      selections: Sequence[str], person_seed: int, noise: float, k: int, model: SecondsModel,
                      variant: Variant, tune_seed: int) -> list[dict]:
    """Round 2 on z1's rollouts for the `seconds` round 1 left, then a tune on both rounds' answers from z1.

    One record per selection (random / active), each with the tuned latent under "z": both selections
    share round 1, the pool and the person's noise seed, so they differ only in the order of the items.
    """
    pool2 = roll_pool(policy, r.z1, task, seeds, first_id=len(r.pool1.trajs), latent="z1", sample_seed=3)
    trajs, cache = r.pool1.trajs + pool2.trajs, joined_cache([r.pool1.cache, pool2.cache])
    rewards = implicit_rewards(policy, pool2.trajs, r.z1, r.z0, cache=pool2.cache)
    implicit = dict(zip(pool2.ids, rewards.tolist(), strict=True))
    latent_of = {**{e: r.pool1.latent for e in r.pool1.ids}, **{e: pool2.latent for e in pool2.ids}}
    out = []
    for selection in selections:
        items = round_items(r.mode, pool2.ids, k=k, seed=person_seed,
                            implicit=implicit if selection == "active" else None)
        second = answer_items(r.mode, items, pool2.episodes, SimulatedPerson(noise, seed=person_seed, model=model),
                              seconds)
        pairs = pairs_of(r.mode, r.first.answers[:r.n_first] + second.answers, latent_of)
        z, info = tune(policy, trajs, cache, pairs, r.z1, r.mode, variant, tune_seed)
        out.append({"selection": selection, "z": z, "answers_second": len(second.answers),
                    "second_seconds": second.used(len(second.answers)), "pool2": len(pool2.trajs),
                    "pool2_success": pool2.success_rate(), "items2": len(items),
                    "implicit_spread": float(np.std(rewards)), **info})
    return out

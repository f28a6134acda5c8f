"""What a round asks people about its episodes: pairs, one episode at a time, or K at once.

- pairwise: about `pairs_per_traj` comparisons per episode (random matchings, `build_label_pairs`);
- per_episode: one question per episode, in random order;
- best_of_k: the episodes split into questions of K (a last, short group is filled up with episodes
  from other groups, so every episode is asked about and every question shows K).
With `pair_selection = "active"` the worker's implicit rewards of the episodes under the round's latent
(`pgt_core.active`) order the comparisons least certain first; people are served items in that order
(`scheduling.choose_next`: oldest first within a round). Candidates for active pairwise rounds are four
times the wanted number of random pairs, so the order, not the pool, comes from the latent.
"""
from __future__ import annotations

import math
import random
from typing import Hashable, Mapping, Sequence, TypeVar

from labeler.db.store import Store
from labeler.domain.round_config import RoundConfig
from labeler.domain.scheduling import build_label_pairs, pairs_wanted
from pgt_core.active import least_certain_groups, order_pairs

CANDIDATES_PER_PAIR = 4
EXPLORE = 0.2  # share of active picks drawn at random: keeps the queue from locking onto one region
Id = TypeVar("Id", bound=Hashable)  # an episode's id: the store's strings, or a benchmark's numbers


def make_round_items(store: Store, rnd: Mapping[str, object], traj_ids: Sequence[str], cfg: RoundConfig,
                     implicit: Mapping[str, float] | None = None) -> int:
    """Create the round's pairs or questions over `traj_ids`; the number of items made."""
    task_id, round_id, seed = int(rnd["task_id"]), int(rnd["id"]), int(rnd["id"])
    ids = sorted(set(traj_ids))
    active = cfg.pair_selection == "active" and implicit is not None and all(t in implicit for t in ids)
    items = items_in_order(cfg.feedback, ids, pairs_per_traj=cfg.pairs_per_traj, k=cfg.k, seed=seed,
                           implicit=implicit if active else None)
    if cfg.feedback == "pairwise":
        return len(store.pairs.add(task_id, items, round_id, source="round"))
    return len(store.questions.add(task_id, cfg.feedback, [list(q) for q in items], round_id))


def items_in_order(feedback: str, ids: Sequence[Id], *, pairs_per_traj: int, k: int, seed: int,
                   implicit: Mapping[Id, float] | None = None) -> list[tuple[Id, ...]]:
    """A round's items over the episodes `ids`, in the order people get them: pairs, single episodes or groups
    of K; least certain first when `implicit` rewards are given (pairwise and best-of-K; per-episode questions
    are always shuffled)."""
    ids = sorted(set(ids))
    if feedback == "pairwise":
        pairs = _active_pairs(ids, pairs_per_traj, implicit, seed) if implicit is not None else \
            build_label_pairs(ids, pairs_per_traj, seed=seed)
        return [tuple(p) for p in pairs]
    if feedback == "per_episode":
        order = ids[:]
        random.Random(seed).shuffle(order)
        return [(t,) for t in order]
    groups = _active_groups(ids, k, implicit, seed) if implicit is not None else k_groups(ids, k, seed)
    return [tuple(g) for g in groups]


def items_for_episodes(cfg: RoundConfig, episodes: int) -> int:
    """How many pairs or questions `make_round_items` makes from this many episodes."""
    n = int(episodes)
    if cfg.feedback == "pairwise":
        return pairs_wanted(n, cfg.pairs_per_traj)
    if cfg.feedback == "per_episode":
        return n
    return math.ceil(n / cfg.k) if n >= cfg.k else 0


def episodes_for_items(cfg: RoundConfig, items: int) -> int:
    """The fewest episodes that give about `items` pairs or questions (the inverse of `items_for_episodes`)."""
    items = max(1, int(items))
    if cfg.feedback == "pairwise":
        return max(2, math.ceil(2 * items / cfg.pairs_per_traj))
    if cfg.feedback == "per_episode":
        return items
    return items * cfg.k


def k_groups(ids: Sequence[Id], k: int, seed: int) -> list[list[Id]]:
    """Every episode in one group of K (random); a short last group is filled from the others."""
    order = list(ids)
    if len(order) < k:
        return []
    rng = random.Random(seed)
    rng.shuffle(order)
    groups = [order[i:i + k] for i in range(0, len(order), k)]
    if len(groups[-1]) < k:
        last = groups[-1]
        others = [t for t in order if t not in last]
        groups[-1] = last + rng.sample(others, k - len(last))
    return groups


def _active_pairs(ids: Sequence[Id], per_traj: int, implicit: Mapping[Id, float], seed: int
                  ) -> list[tuple[Id, Id]]:
    wanted = pairs_wanted(len(ids), per_traj)
    candidates = build_label_pairs(ids, per_traj * CANDIDATES_PER_PAIR, seed=seed)
    return order_pairs(dict(implicit), candidates, wanted, explore=EXPLORE, rng=seed)


def _active_groups(ids: Sequence[Id], k: int, implicit: Mapping[Id, float], seed: int) -> list[list[Id]]:
    rewards = {t: float(implicit[t]) for t in ids}
    groups = [list(g) for g in least_certain_groups(rewards, k, len(ids) // k, explore=EXPLORE, rng=seed)]
    asked = {t for g in groups for t in g}
    rest = [t for t in ids if t not in asked]
    if rest:  # fewer than K left over: one last group, filled up like the random split
        groups += k_groups(rest + random.Random(seed).sample(sorted(asked), k - len(rest)), k, seed)
    return groups

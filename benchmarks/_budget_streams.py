"""A simulated person answering one round's comparisons, minute by minute (bench_label_budget.py).

A stream is one person working through one feedback mode on one pool of episodes: answers arrive
in order, each with the seconds it took, so the answers of a 5-minute budget are a prefix of those
of a 10-minute one (budgets are nested, as if one person kept going). Random selection draws
comparisons uniformly; active selection (pairwise, best-of-K) re-ranks what is left every
`batch_minutes` by the implicit rewards under a latent tuned on the answers so far
(`pgt_core.active`), the first batch uniform.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pgt_core.active import least_certain, least_certain_groups  # noqa: E402
from pgt_core.feedback import PairwiseAnswer, RankingAnswer, pairs_from_grades, pairs_from_pairwise, pairs_from_rankings  # noqa: E402
from pgt_core.pairs import Pair  # noqa: E402
from pgt_core.simulated_person import Episode, SimulatedPerson  # noqa: E402

RewardsOf = Callable[[list[Pair], str], np.ndarray]
"""(pairs so far, mode) -> implicit reward of every pool episode under a latent tuned on them."""


@dataclass
class Stream:
    mode: str
    selection: str  # "random" | "active"
    answers: list = field(default_factory=list)  # PairwiseAnswer | (episode, grade) | RankingAnswer
    seconds: list[float] = field(default_factory=list)  # cumulative, after each answer

    def count_within(self, minutes: float) -> int:
        """Answers given within `minutes` of the person's time."""
        return int(np.searchsorted(np.asarray(self.seconds), minutes * 60.0, side="right"))

    def pairs(self, n_answers: int) -> list[Pair]:
        """The feedback rule over the first n answers."""
        given = self.answers[:n_answers]
        if self.mode == "pairwise":
            return pairs_from_pairwise(given)
        if self.mode == "per_episode":
            grades = dict(given)
            return pairs_from_grades(grades, {e: "z0" for e in grades})
        return pairs_from_rankings(given)


def _answer(person: SimulatedPerson, mode: str, pool: list[Episode], item, k: int) -> tuple[object, float]:
    if mode == "pairwise":
        a, b = item
        return person.pairwise(pool[a], pool[b])
    if mode == "per_episode":
        grade, seconds = person.grade(pool[item])
        return (pool[item].id, grade), seconds
    ranking, seconds = person.best_worst([pool[x] for x in item])
    return ranking, seconds


def _random_items(mode: str, n: int, k: int, rng: np.random.Generator):
    """An endless (or, per episode, exhaustive) uniform sequence of comparisons over n episodes."""
    if mode == "per_episode":
        yield from (int(x) for x in rng.permutation(n))
        return
    if mode == "pairwise":
        seen: set[tuple[int, int]] = set()
        total = n * (n - 1) // 2
        while len(seen) < total:
            a, b = (int(x) for x in rng.choice(n, 2, replace=False))
            if (min(a, b), max(a, b)) not in seen:
                seen.add((min(a, b), max(a, b)))
                yield a, b
        return
    while True:
        perm = rng.permutation(n)
        yield from (tuple(int(x) for x in perm[s:s + k]) for s in range(0, n - k + 1, k))


def run_stream(mode: str, selection: str, pool: list[Episode], person: SimulatedPerson, max_minutes: float, *,
               k: int = 4, batch_minutes: float = 2.5, explore: float = 0.2, rewards_of: RewardsOf | None = None,
               seed: int = 0) -> Stream:
    """Answer until `max_minutes` of the person's time are spent (or the pool runs out)."""
    rng = np.random.default_rng(seed)
    stream = Stream(mode, selection)
    clock, limit = 0.0, max_minutes * 60.0

    def give(item) -> bool:
        nonlocal clock
        answer, seconds = _answer(person, mode, pool, item, k)
        if clock + seconds > limit:
            return False
        clock += seconds
        stream.answers.append(answer)
        stream.seconds.append(clock)
        return True

    if selection == "random" or mode == "per_episode":
        for item in _random_items(mode, len(pool), k, rng):
            if not give(item):
                break
        return stream
    if rewards_of is None:
        raise ValueError("active selection needs rewards_of")
    asked: set = set()
    shown = np.zeros(len(pool), dtype=int)
    n = len(pool)
    cand = np.array([(a, b) for a in range(n) for b in range(a + 1, n)], dtype=np.int64) if mode == "pairwise" else None
    while clock < limit:
        batch_end = clock + batch_minutes * 60.0
        rewards = np.zeros(n) if not stream.answers else rewards_of(stream.pairs(len(stream.answers)), mode)
        if mode == "pairwise":
            open_ = np.array([(int(a), int(b)) not in asked for a, b in cand])
            idx = np.flatnonzero(open_)
            margins = rewards[cand[idx, 0]] - rewards[cand[idx, 1]]
            items = [tuple(int(v) for v in cand[idx[p]]) for p in least_certain(margins, len(idx), explore=explore,
                                                                                 rng=rng)[:500]]
        else:
            fresh = {int(x): float(rewards[x]) for x in np.flatnonzero(shown < 2)}
            items = least_certain_groups(fresh, k, len(fresh) // k, explore=explore, rng=rng)
        if not items:
            break
        for item in items:
            if clock >= batch_end:
                break
            if mode == "pairwise":
                a, b = item
                asked.add((a, b))
                if rng.random() < 0.5:
                    item = (b, a)  # the side shown is random
            else:
                shown[list(item)] += 1
            if not give(item):
                return stream
    return stream


__all__ = ["PairwiseAnswer", "RankingAnswer", "Stream", "run_stream"]

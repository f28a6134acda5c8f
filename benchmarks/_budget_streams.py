"""A round's items, made and ordered as the app does, and a simulated person answering them on a clock.

Items (`round_items`) are the app's own (`labeler.domain.round_items.items_in_order`, which
`make_round_items` stores): pairwise = random matchings, `pairs_per_traj` comparisons per episode;
per-episode = every episode once, shuffled; best-of-K = every episode in one random group of K. With active
selection (pairwise and best-of-K only, as in the app) the items are ordered once, when the round is made,
least certain first by the episodes' implicit rewards under the latent that played them (`pgt_core.active`,
20% drawn at random).
A task's first round is played by z0, where every implicit reward is 0: active order is then random order,
so the benchmark runs active selection in second rounds only.

A person answers the items in order until the minutes are spent or the items run out (`answer_items`);
the answers within a shorter budget are a prefix of a longer one's, as if one person kept going.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from labeler.domain.round_items import items_in_order, k_groups  # noqa: E402
from labeler.domain.scheduling import build_label_pairs  # noqa: E402
from pgt_core.feedback import pairs_from_grades, pairs_from_pairwise, pairs_from_rankings  # noqa: E402
from pgt_core.pairs import Pair  # noqa: E402
from pgt_core.simulated_person import Episode, SimulatedPerson  # noqa: E402

PAIRS_PER_TRAJ = 2  # RoundConfig's default
Item = tuple[int, ...]


def round_items(mode: str, ids: Sequence[int], *, k: int, seed: int, implicit: Mapping[int, float] | None = None,
                repeats: int = 1) -> list[Item]:
    """The round's items in the order people get them (`items_in_order`, the app's own); active order when
    `implicit` rewards are given.

    repeats > 1 (random order only) goes over the same episodes again: `repeats` times the pairs per
    episode, or `repeats` fresh random splits into K-groups, so one pool can fill a long budget.
    """
    if repeats == 1 or mode == "per_episode":
        return items_in_order(mode, ids, pairs_per_traj=PAIRS_PER_TRAJ, k=k, seed=seed, implicit=implicit)
    if implicit is not None:
        raise ValueError("active items are one round's: no repeats")
    ids = sorted(ids)
    if mode == "pairwise":
        return build_label_pairs(ids, PAIRS_PER_TRAJ * repeats, seed=seed)
    return [tuple(g) for r in range(repeats) for g in k_groups(ids, k, seed + r)]


@dataclass
class Stream:
    """One person's answers to one round's items, with the cumulative seconds after each."""

    mode: str
    answers: list = field(default_factory=list)  # PairwiseAnswer | (episode, grade) | RankingAnswer
    seconds: list[float] = field(default_factory=list)

    def count_within(self, seconds: float) -> int:
        """Answers given within `seconds` of the person's time."""
        return int(np.searchsorted(np.asarray(self.seconds), seconds, side="right"))

    def used(self, n_answers: int) -> float:
        """Seconds the first n answers took."""
        return self.seconds[n_answers - 1] if n_answers else 0.0


def answer_items(mode: str, items: Sequence[Item], episodes: Mapping[int, Episode], person: SimulatedPerson,
                 seconds: float) -> Stream:
    """The person answers `items` in order while the next answer still fits in `seconds`."""
    stream, clock = Stream(mode), 0.0
    for item in items:
        if mode == "pairwise":
            answer, took = person.pairwise(episodes[item[0]], episodes[item[1]])
        elif mode == "per_episode":
            grade, took = person.grade(episodes[item[0]])
            answer = (item[0], grade)
        else:
            answer, took = person.best_worst([episodes[e] for e in item])
        if clock + took > seconds:
            break
        clock += took
        stream.answers.append(answer)
        stream.seconds.append(clock)
    return stream


def pairs_of(mode: str, answers: Sequence, latent_of: Mapping[int, str]) -> list[Pair]:
    """The app's feedback rule over answers (of one round or several); grades pair within one latent's episodes."""
    if mode == "pairwise":
        return pairs_from_pairwise(answers)
    if mode == "per_episode":
        grades = dict(answers)
        return pairs_from_grades(grades, {e: latent_of[e] for e in grades})
    return pairs_from_rankings(answers)

"""A simulated person for benchmarks and tests: judges episodes by task reward, with noise, on a clock.

What it knows is what a person watching the video would see: whether and how early the episode
reached the goal (the task's graded reward). Noise is the share of answers a person gets wrong:
- pairwise: the `SyntheticTeacher` rule (prefers the higher reward, a flipped answer with
  probability `noise`, equal rewards a tie, two failures "both bad");
- per-episode: good if the episode succeeded, bad if not, the grade flipped with probability `noise`;
- best-of-K: best = a highest-reward episode, worst = a lowest one (ties broken at random), each
  pick replaced by a random other episode with probability `noise`; when all K look the same
  (equal rewards) the answer is "all the same" (no pick, no pairs).
Every answer comes with the seconds it took under a `SecondsModel`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Sequence

import numpy as np

from pgt_core.feedback import PairwiseAnswer, RankingAnswer
from pgt_core.human_time import SecondsModel
from pgt_core.pairs import SyntheticTeacher


@dataclass(frozen=True)
class Episode:
    id: Hashable
    reward: float
    frames: int  # video length


class SimulatedPerson:
    def __init__(self, noise: float = 0.1, seed: int = 0, model: SecondsModel | None = None) -> None:
        if not 0.0 <= noise <= 1.0:
            raise ValueError("noise must be in [0, 1]")
        self.noise = noise
        self.model = model or SecondsModel()
        self.rng = np.random.default_rng(seed)
        self.teacher = SyntheticTeacher(flip_prob=noise, seed=int(self.rng.integers(2 ** 31)), both_bad=True)

    def pairwise(self, left: Episode, right: Episode, answer_id: Hashable | None = None
                 ) -> tuple[PairwiseAnswer, float]:
        choice = self.teacher.label(left.reward, right.reward)
        return (PairwiseAnswer(left.id, right.id, choice, answer_id),
                self.model.answer("pairwise", [left.frames, right.frames]))

    def grade(self, episode: Episode) -> tuple[str, float]:
        good = episode.reward > 0
        if self.rng.random() < self.noise:
            good = not good
        return ("good" if good else "bad"), self.model.answer("per_episode", [episode.frames])

    def best_worst(self, episodes: Sequence[Episode], answer_id: Hashable | None = None
                   ) -> tuple[RankingAnswer, float]:
        ids = tuple(e.id for e in episodes)
        seconds = self.model.answer("best_of_k", [e.frames for e in episodes])
        r = np.array([e.reward for e in episodes], dtype=float)
        if r.max() == r.min():
            return RankingAnswer(ids, answer_id=answer_id), seconds
        k = len(episodes)
        best = int(self.rng.choice(np.flatnonzero(r == r.max())))
        worst = int(self.rng.choice(np.flatnonzero(r == r.min())))
        if self.rng.random() < self.noise:
            best = int(self.rng.choice([x for x in range(k) if x != best]))
        if self.rng.random() < self.noise or worst == best:
            worst = int(self.rng.choice([x for x in range(k) if x != best and (x != worst or k == 2)]))
        return RankingAnswer(ids, best=ids[best], worst=ids[worst], answer_id=answer_id), seconds

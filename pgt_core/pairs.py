"""Preference pairs: the record, pairs from episode rewards, and a synthetic (noisy) teacher.

`Pair.label` is what a person answered when shown `i` on the left and `j` on the right:
"left", "right", "tie" or "both_bad". Every answer is stored; only decisive ones
(left/right) drive DPO. Ties feed agreement statistics and IPO (target margin 0).

`Pair.group` names the answer a pair came from (a ranking gives several correlated pairs; one
pairwise answer gives one) and `Pair.weight` its share of that answer: tuning splits held-out
pairs by group and weighs each pair by its weight, so one answer counts as one unit however
many pairs it implies (`pgt_core.feedback` makes pairs from each feedback mode by one rule).

The synthetic teacher stands in for people in benchmarks and tests: it prefers the higher
reward, flips with a given probability, calls near-equal rewards a tie, and may call two
failures "both bad" -- the kinds of noise real labels have.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Hashable, Literal, Mapping, Sequence

import numpy as np

Label = Literal["left", "right", "tie", "both_bad"]
LABELS: tuple[str, ...] = ("left", "right", "tie", "both_bad")
DECISIVE: tuple[str, ...] = ("left", "right")


@dataclass(frozen=True)
class Pair:
    """Two trajectories (indices into a list, or trajectory ids) and the label given to them.

    group: the answer it came from (None: an answer of its own); weight: its share of that answer.
    """

    i: Hashable
    j: Hashable
    label: Label = "left"
    group: Hashable | None = None
    weight: float = 1.0

    def __post_init__(self) -> None:
        if self.label not in LABELS:
            raise ValueError(f"label must be one of {LABELS}, got {self.label!r}")
        if self.i == self.j:
            raise ValueError(f"a pair needs two different trajectories, got {self.i!r} twice")
        if not self.weight > 0:
            raise ValueError(f"a pair's weight must be > 0, got {self.weight}")

    @property
    def decisive(self) -> bool:
        return self.label in DECISIVE

    @property
    def preferred(self) -> Hashable | None:
        return self.i if self.label == "left" else self.j if self.label == "right" else None

    @property
    def rejected(self) -> Hashable | None:
        return self.j if self.label == "left" else self.i if self.label == "right" else None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Pair":
        return cls(d["i"], d["j"], d["label"], d.get("group"), float(d.get("weight", 1.0)))


def _rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def pairs_from_rewards(rewards: Sequence[float], max_pairs: int | None = None,
                       rng: np.random.Generator | int | None = 0) -> list[Pair]:
    """Every ordered pair (i, j) with R_i > R_j as Pair(i, j, "left"); a uniform sample of
    `max_pairs` of them (without replacement, kept in (i, j) order) when there are more."""
    r = np.asarray(rewards, dtype=np.float64)
    ii, jj = np.nonzero(r[:, None] > r[None, :])
    if max_pairs is not None and len(ii) > max_pairs:
        keep = np.sort(_rng(rng).choice(len(ii), size=max_pairs, replace=False))
        ii, jj = ii[keep], jj[keep]
    return [Pair(int(i), int(j), "left") for i, j in zip(ii, jj, strict=True)]


class SyntheticTeacher:
    """Labels pairs from rewards with controlled noise (for benchmarks and people-free tests).

    flip_prob: chance a decisive answer is reversed.
    tie_margin: |R_i - R_j| <= tie_margin is answered "tie" (equal rewards always are).
    both_bad: when True, two zero-reward episodes are "both_bad" instead of "tie".
    """

    def __init__(self, flip_prob: float = 0.0, tie_margin: float = 0.0, seed: int = 0, both_bad: bool = False) -> None:
        if not 0.0 <= flip_prob <= 1.0:
            raise ValueError("flip_prob must be in [0, 1]")
        if tie_margin < 0:
            raise ValueError("tie_margin must be >= 0")
        self.flip_prob, self.tie_margin, self.both_bad = flip_prob, tie_margin, both_bad
        self.rng = np.random.default_rng(seed)

    def label(self, r_left: float, r_right: float) -> Label:
        if self.both_bad and r_left <= 0.0 and r_right <= 0.0:
            return "both_bad"
        if abs(r_left - r_right) <= self.tie_margin:
            return "tie"
        truth: Label = "left" if r_left > r_right else "right"
        if self.rng.random() < self.flip_prob:
            return "right" if truth == "left" else "left"
        return truth

    def label_pairs(self, rewards: Sequence[float], index_pairs: Sequence[tuple[int, int]]) -> list[Pair]:
        return [Pair(int(i), int(j), self.label(float(rewards[i]), float(rewards[j]))) for i, j in index_pairs]

    def sample_pairs(self, rewards: Sequence[float], n_pairs: int) -> list[Pair]:
        """Label `n_pairs` distinct unordered pairs drawn uniformly, sides in random order --
        what an annotator queue shows people."""
        n = len(rewards)
        total = n * (n - 1) // 2
        if total == 0:
            return []
        flat = self.rng.choice(total, size=min(n_pairs, total), replace=False)
        # unrank k -> (a, b) with a < b over the upper triangle, row by row
        rows = np.arange(n - 1)
        starts = rows * (2 * n - rows - 1) // 2
        a = np.searchsorted(starts, flat, side="right") - 1
        b = flat - starts[a] + a + 1
        swap = self.rng.random(len(flat)) < 0.5
        left, right = np.where(swap, b, a), np.where(swap, a, b)
        return self.label_pairs(rewards, list(zip(left.tolist(), right.tolist(), strict=True)))


@dataclass(frozen=True)
class PreferenceRows:
    """Usable pairs as arrays over a trajectory list: winner and loser rows, tie flags, group codes
    (0..G-1; a pair without a group gets a code of its own) and weights."""

    winners: np.ndarray
    losers: np.ndarray
    ties: np.ndarray
    groups: np.ndarray
    weights: np.ndarray

    def __len__(self) -> int:
        return int(self.winners.shape[0])


def preference_rows(pairs: Sequence[Pair], index_of: Mapping[Hashable, int] | None = None,
                    include_ties: bool = False) -> PreferenceRows:
    """Pairs -> `PreferenceRows`: decisive pairs always; ties only when `include_ties` (IPO),
    oriented as (i, j); "both_bad" never. `index_of` maps trajectory ids to rows; without it,
    i and j must already be rows."""
    w, lose, tie, group, weight = [], [], [], [], []
    codes: dict[Hashable, int] = {}
    for k, p in enumerate(pairs):
        if p.decisive:
            a, b, t = p.preferred, p.rejected, False
        elif p.label == "tie" and include_ties:
            a, b, t = p.i, p.j, True
        else:
            continue
        w.append(index_of[a] if index_of is not None else int(a))
        lose.append(index_of[b] if index_of is not None else int(b))
        tie.append(t)
        key = ("group", p.group) if p.group is not None else ("pair", k)
        group.append(codes.setdefault(key, len(codes)))
        weight.append(p.weight)
    return PreferenceRows(np.asarray(w, np.int64), np.asarray(lose, np.int64), np.asarray(tie, bool),
                          np.asarray(group, np.int64), np.asarray(weight, np.float64))


def preference_indices(pairs: Sequence[Pair], index_of: Mapping[Hashable, int] | None = None,
                       include_ties: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs -> (winner rows, loser rows, is_tie): `preference_rows` without groups and weights."""
    rows = preference_rows(pairs, index_of, include_ties)
    return rows.winners, rows.losers, rows.ties

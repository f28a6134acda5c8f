"""How good is each annotator? Gold accuracy, self-consistency, position bias, speed.

Why these: PGT tunes a latent on a few hundred preferences, so a careless or biased annotator
moves z directly. A lab needs to see who is accurate where the answer is known (gold pairs: one
rollout succeeded, the other did not), who is self-consistent (the same pair shown again later,
sides swapped), whether people favour a screen side, and how fast labelling goes.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from statistics import median
from typing import Any, Iterable, Mapping

import numpy as np

from labeler.domain.label_records import LabelRecord
from pgt_core.stats import binomial_two_sided_p


@dataclass
class Rate:
    """k of n (e.g. correct gold answers); `value` is None when n == 0."""

    k: int = 0
    n: int = 0

    @property
    def value(self) -> float | None:
        return self.k / self.n if self.n else None

    def to_dict(self) -> dict[str, Any]:
        return {"k": self.k, "n": self.n, "rate": self.value}


def gold_answers(pairs: Iterable[Mapping[str, Any]], trajectories: Mapping[str, Mapping[str, Any]],
                 min_reward_gap: float = 0.5) -> dict[int, str]:
    """{pair_id: trajectory id that should win} for pairs whose outcome the reward settles.

    A pair is gold when one rollout succeeded and the other did not, and their rewards
    differ by at least `min_reward_gap`: people should agree with the reward there.
    """
    gold: dict[int, str] = {}
    for p in pairs:
        a, b = trajectories[p["traj_a"]], trajectories[p["traj_b"]]
        if bool(a["success"]) == bool(b["success"]) or abs(float(a["reward"]) - float(b["reward"])) < min_reward_gap:
            continue
        gold[int(p["id"])] = p["traj_a"] if float(a["reward"]) > float(b["reward"]) else p["traj_b"]
    return gold


def gold_accuracy(labels: Iterable[LabelRecord], gold: Mapping[int, str]) -> dict[str, Rate]:
    """Per annotator: decisive labels on gold pairs that chose the gold winner (ties count as wrong)."""
    out: dict[str, Rate] = defaultdict(Rate)
    for r in labels:
        if r.pair_id not in gold or r.outcome is None:
            continue
        rate = out[r.annotator]
        rate.n += 1
        rate.k += int(r.preferred == gold[r.pair_id])
    return dict(out)


def _canon(traj: str, canonical: Mapping[str, str]) -> str:
    return canonical.get(traj, traj)


def self_consistency(labels: Iterable[LabelRecord], canonical: Mapping[str, str] | None = None) -> dict[str, Rate]:
    """Per annotator: of repeated showings of the same two trajectories, how many agree with the first.

    `canonical` maps alias trajectory ids (a repeat registered as copies of the originals)
    to the original ids. Agreement compares the *trajectory* chosen (or tie/both_bad), so a
    repeat shown with swapped sides is consistent when the same rollout wins, whatever side.
    """
    canonical = canonical or {}
    seen: dict[tuple[str, frozenset[str]], list[str]] = defaultdict(list)
    ordered = sorted(labels, key=lambda r: (r.created_at or datetime.min, r.label_id or 0))
    for r in ordered:
        if r.outcome is None:
            continue
        key = (r.annotator, frozenset((_canon(r.left_traj, canonical), _canon(r.right_traj, canonical))))
        answer = _canon(r.preferred, canonical) if r.preferred else r.choice
        seen[key].append(answer)
    out: dict[str, Rate] = defaultdict(Rate)
    for (annotator, _), answers in seen.items():
        for later in answers[1:]:
            out[annotator].n += 1
            out[annotator].k += int(later == answers[0])
    return dict(out)


# -- position bias --------------------------------------------------------------------------
def position_bias(labels: Iterable[LabelRecord]) -> dict[str, Any]:
    """Fraction of decisive labels that chose the left-shown rollout, and its binomial p-value.

    Sides are randomised per showing, so an unbiased annotator picks left about half the
    time; a small p-value says the screen side, not the rollout, drives their choices.
    """
    decisive = [r for r in labels if r.decisive]
    left = sum(1 for r in decisive if r.choice == "left")
    n = len(decisive)
    return {"n_decisive": n, "left": left, "left_rate": left / n if n else None,
            "p_value": binomial_two_sided_p(left, n)}


# -- throughput ----------------------------------------------------------------------------
def throughput(labels: Iterable[LabelRecord], session_gap_s: float = 600.0) -> dict[str, Any]:
    """Labels/hour over active time and time-per-label statistics.

    Active time: labels closer than `session_gap_s` belong to one sitting; a sitting lasts
    from its first to its last label plus the first label's own time (its time_spent_ms, or
    the median), so a coffee break does not dilute the rate.
    """
    rows = [r for r in labels if r.choice != "skip"]
    spent = sorted(r.time_spent_ms / 1000.0 for r in rows if r.time_spent_ms is not None)
    med = median(spent) if spent else None
    stamps = sorted(r.created_at.timestamp() for r in rows if r.created_at is not None)
    active = 0.0
    if stamps:
        lead = med or 0.0
        start = prev = stamps[0]
        for t in stamps[1:]:
            if t - prev > session_gap_s:
                active += (prev - start) + lead
                start = t
            prev = t
        active += (prev - start) + lead
    return {
        "n_labels": len(rows),
        "active_hours": active / 3600.0,
        "labels_per_hour": (len(stamps) / (active / 3600.0)) if active > 0 else None,
        "time_per_label_s": {
            "median": med,
            "mean": float(np.mean(spent)) if spent else None,
            "p90": float(np.percentile(spent, 90)) if spent else None,
        },
    }


def hourly_counts(labels: Iterable[LabelRecord]) -> list[dict[str, Any]]:
    """Labels (skips excluded) per annotator per clock hour: the dashboard's activity chart."""
    counts: Counter[tuple[str, str]] = Counter()
    for r in labels:
        if r.choice != "skip" and r.created_at is not None:
            counts[(r.created_at.replace(minute=0, second=0, microsecond=0).isoformat(), r.annotator)] += 1
    return [{"hour": h, "annotator": a, "n": n} for (h, a), n in sorted(counts.items())]

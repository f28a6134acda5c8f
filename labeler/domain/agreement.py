"""Do annotators agree? Krippendorff's alpha, the disagreement queue, agreement with the majority.

Why alpha: chance-corrected, any number of annotators per pair, missing labels allowed.
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Hashable, Iterable, Mapping, Sequence

from labeler.domain.annotator_quality import Rate
from labeler.domain.label_records import LabelRecord


def krippendorff_alpha_nominal(data: Mapping[Hashable, Mapping[Hashable, Hashable | None]]
                               | Sequence[Sequence[Hashable | None]]) -> float:
    """Krippendorff's alpha for nominal data, with missing values.

    data: {unit: {coder: value}} or a coders x units matrix (rows = coders) with None for
    missing. Units with fewer than two values are not pairable and are ignored.
    Returns NaN when fewer than two pairable values exist or all values are the same
    (alpha is undefined without variation).
    """
    if isinstance(data, Mapping):
        units = [[v for v in coders.values() if v is not None] for coders in data.values()]
    else:
        rows = [list(r) for r in data]
        n_units = max((len(r) for r in rows), default=0)
        units = [[r[u] for r in rows if u < len(r) and r[u] is not None] for u in range(n_units)]
    coincidence: dict[tuple[Hashable, Hashable], float] = defaultdict(float)
    for values in units:
        m = len(values)
        if m < 2:
            continue
        counts = Counter(values)
        for c, nc in counts.items():
            for k, nk in counts.items():
                pairs = nc * (nk - 1) if c == k else nc * nk
                coincidence[(c, k)] += pairs / (m - 1)
    totals: dict[Hashable, float] = defaultdict(float)
    for (c, _), o in coincidence.items():
        totals[c] += o
    n = sum(totals.values())
    if n <= 1:
        return float("nan")
    observed = sum(o for (c, k), o in coincidence.items() if c != k)
    expected = sum(totals[c] * totals[k] for c in totals for k in totals if c != k)
    if expected == 0:
        return float("nan")
    return float(1.0 - (n - 1) * observed / expected)


def units_by_pair(labels: Iterable[LabelRecord]) -> dict[int, dict[str, str]]:
    """{pair_id: {annotator: outcome}} with skips left out (alpha's reliability data)."""
    out: dict[int, dict[str, str]] = defaultdict(dict)
    for r in labels:
        if r.outcome is not None:
            out[r.pair_id][r.annotator] = r.outcome
    return dict(out)


def group_by_task_round(labels: Iterable[LabelRecord]) -> dict[tuple[Any, Any], list[LabelRecord]]:
    groups: dict[tuple[Any, Any], list[LabelRecord]] = defaultdict(list)
    for r in labels:
        groups[(r.task_id, r.round_id)].append(r)
    return dict(groups)


def _order_key(key: tuple[Any, Any]) -> tuple:
    """Sort (task_id, round_id) numerically with None last."""
    return tuple((v is None, v if v is not None else 0) for v in key)


def alpha_by_task_round(labels: Iterable[LabelRecord]) -> list[dict[str, Any]]:
    """Alpha per (task, round) with how many pairs carry two or more labels."""
    out = []
    for (task_id, round_id), group in sorted(group_by_task_round(labels).items(), key=lambda kv: _order_key(kv[0])):
        units = units_by_pair(group)
        alpha = krippendorff_alpha_nominal(units)
        out.append({"task_id": task_id, "round_id": round_id, "alpha": None if math.isnan(alpha) else alpha,
                    "n_pairs_multi": sum(1 for u in units.values() if len(u) >= 2),
                    "n_labels": sum(1 for r in group if r.outcome is not None)})
    return out


@dataclass
class Disagreement:
    """A pair whose annotators disagree: an entry of the adjudication queue."""

    pair_id: int
    task_id: int | None
    round_id: int | None
    traj_a: str
    traj_b: str
    votes: dict[str, list[str]] = field(default_factory=dict)  # outcome -> annotators
    majority: str | None = None  # the strict-majority outcome, if any
    agreement: float = 0.0  # share of the most common outcome

    @property
    def has_decisive_vote(self) -> bool:
        """Someone preferred a or b. Without one (tie against both bad) no decision gives tuning a preference."""
        return bool(set(self.votes) & {"a", "b"})

    def to_dict(self) -> dict[str, Any]:
        return {"pair_id": self.pair_id, "task_id": self.task_id, "round_id": self.round_id, "traj_a": self.traj_a,
                "traj_b": self.traj_b, "votes": self.votes, "majority": self.majority, "agreement": self.agreement}


def disagreements(labels: Iterable[LabelRecord], decisive_only: bool = False,
                  min_labels: int = 2) -> list[Disagreement]:
    """Pairs with at least `min_labels` non-skip labels that are not unanimous, least agreement first.

    decisive_only: count only a-vs-b conflicts (a tie beside a decisive vote is not one).
    """
    by_pair: dict[int, list[LabelRecord]] = defaultdict(list)
    for r in labels:
        if r.outcome is not None:
            by_pair[r.pair_id].append(r)
    out: list[Disagreement] = []
    for pair_id, group in by_pair.items():
        if len(group) < min_labels:
            continue
        votes: dict[str, list[str]] = defaultdict(list)
        for r in group:
            votes[r.outcome].append(r.annotator)
        kinds = set(votes) & {"a", "b"} if decisive_only else set(votes)
        if len(kinds) < 2:
            continue
        top, top_n = max(((o, len(v)) for o, v in votes.items()), key=lambda x: (x[1], x[0]))
        ties_for_top = sum(1 for v in votes.values() if len(v) == top_n) > 1
        first = group[0]
        out.append(Disagreement(pair_id=pair_id, task_id=first.task_id, round_id=first.round_id, traj_a=first.traj_a,
                                traj_b=first.traj_b, votes={k: sorted(v) for k, v in sorted(votes.items())},
                                majority=None if ties_for_top or top_n * 2 <= len(group) else top,
                                agreement=top_n / len(group)))
    out.sort(key=lambda d: (d.agreement, d.pair_id))
    return out


def majority_agreement(labels: Iterable[LabelRecord]) -> dict[str, Rate]:
    """Per annotator: how often their outcome matches the majority of the *other* annotators of the pair."""
    by_pair: dict[int, list[LabelRecord]] = defaultdict(list)
    for r in labels:
        if r.outcome is not None:
            by_pair[r.pair_id].append(r)
    out: dict[str, Rate] = defaultdict(Rate)
    for group in by_pair.values():
        for r in group:
            others = Counter(o.outcome for o in group if o.annotator != r.annotator)
            if not others:
                continue
            (top, top_n), *rest = others.most_common()
            if rest and rest[0][1] == top_n:
                continue  # the others are split: no majority to agree with
            out[r.annotator].n += 1
            out[r.annotator].k += int(r.outcome == top)
    return dict(out)

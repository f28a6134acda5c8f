"""Annotator quality as pure functions over label records (no store, no HTTP).

Why these statistics: PGT tunes a latent on a few hundred preferences, so a careless or
biased annotator moves z directly. A lab needs to see, per task and round,
- whether annotators agree at all (Krippendorff's alpha: chance-corrected, any number of
  annotators per pair, missing labels allowed),
- who is accurate where the answer is known (gold pairs: one rollout succeeded, the other
  did not),
- who is self-consistent (the same pair shown again later, sides swapped),
- whether people favour a screen side (position bias, with a binomial test),
- how fast labelling goes (labels/hour, time per label),
and a queue of the pairs whose annotators disagree, for a researcher to adjudicate.

Outcomes are always expressed in the pair's own orientation (`a` = traj_a preferred,
`b` = traj_b preferred, `tie`, `both_bad`), never as the side that was clicked, so sides
swapped between showings compare correctly. Skips are missing data.
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median
from typing import Any, Hashable, Iterable, Mapping, Sequence

import numpy as np

OUTCOMES = ("a", "b", "tie", "both_bad")


def _time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


@dataclass(frozen=True)
class LabelRecord:
    """One label as the store returns it (`Store.list_labels` rows carry all of these)."""

    pair_id: int
    annotator: str
    choice: str  # as clicked: left / right / tie / both_bad / skip
    left_traj: str
    right_traj: str
    traj_a: str
    traj_b: str
    task_id: int | None = None
    round_id: int | None = None
    time_spent_ms: int | None = None
    created_at: datetime | None = None
    label_id: int | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "LabelRecord":
        return cls(pair_id=int(row["pair_id"]), annotator=str(row["annotator"]), choice=str(row["choice"]),
                   left_traj=str(row["left_traj"]), right_traj=str(row["right_traj"]),
                   traj_a=str(row.get("traj_a") or min(row["left_traj"], row["right_traj"])),
                   traj_b=str(row.get("traj_b") or max(row["left_traj"], row["right_traj"])),
                   task_id=row.get("task_id"), round_id=row.get("round_id"),
                   time_spent_ms=row.get("time_spent_ms"), created_at=_time(row.get("created_at")),
                   label_id=row.get("id"))

    @property
    def preferred(self) -> str | None:
        """The trajectory id the click chose (None for tie, both_bad, skip)."""
        return {"left": self.left_traj, "right": self.right_traj}.get(self.choice)

    @property
    def outcome(self) -> str | None:
        """'a' / 'b' / 'tie' / 'both_bad' in the pair's orientation; None for a skip."""
        if self.choice == "skip":
            return None
        if self.choice in ("tie", "both_bad"):
            return self.choice
        return "a" if self.preferred == self.traj_a else "b"

    @property
    def decisive(self) -> bool:
        return self.choice in ("left", "right")


def records(rows: Iterable[Mapping[str, Any] | LabelRecord]) -> list[LabelRecord]:
    return [r if isinstance(r, LabelRecord) else LabelRecord.from_row(r) for r in rows]


# -- agreement ------------------------------------------------------------------------------
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


# -- gold and repeats -----------------------------------------------------------------------
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
def binomial_two_sided_p(k: int, n: int) -> float:
    """Exact two-sided binomial test p-value of k successes in n trials against p = 1/2."""
    if n == 0:
        return 1.0
    tail = min(k, n - k)
    i = np.arange(tail + 1)
    log_pmf = (math.lgamma(n + 1) - np.array([math.lgamma(j + 1) + math.lgamma(n - j + 1) for j in i])
               - n * math.log(2.0))
    return float(min(1.0, 2.0 * math.exp(float(np.logaddexp.reduce(log_pmf)))))


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


# -- disagreements --------------------------------------------------------------------------
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


# -- the dashboard report ------------------------------------------------------------------
def annotator_table(labels: Sequence[LabelRecord], gold: Mapping[int, str] | None = None,
                    canonical: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """One row per annotator: volume, gold accuracy, self-consistency, agreement, side bias, speed."""
    gold_acc = gold_accuracy(labels, gold or {})
    consistency = self_consistency(labels, canonical)
    agree = majority_agreement(labels)
    by_annotator: dict[str, list[LabelRecord]] = defaultdict(list)
    for r in labels:
        by_annotator[r.annotator].append(r)
    rows = []
    for name in sorted(by_annotator):
        mine = by_annotator[name]
        rows.append({
            "annotator": name,
            "n_labels": sum(1 for r in mine if r.choice != "skip"),
            "n_skips": sum(1 for r in mine if r.choice == "skip"),
            "gold_accuracy": gold_acc.get(name, Rate()).to_dict(),
            "self_consistency": consistency.get(name, Rate()).to_dict(),
            "majority_agreement": agree.get(name, Rate()).to_dict(),
            "position_bias": position_bias(mine),
            "throughput": throughput(mine),
        })
    return rows


def quality_report(labels: Iterable[Mapping[str, Any] | LabelRecord], gold: Mapping[int, str] | None = None,
                   canonical: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Everything the quality dashboard shows, for the labels given (filter them by task/round first)."""
    recs = records(labels)
    alpha = krippendorff_alpha_nominal(units_by_pair(recs))
    return {
        "n_labels": sum(1 for r in recs if r.choice != "skip"),
        "alpha": None if math.isnan(alpha) else alpha,
        "alpha_by_task_round": alpha_by_task_round(recs),
        "position_bias": position_bias(recs),
        "throughput": throughput(recs),
        "annotators": annotator_table(recs, gold, canonical),
        "hourly": hourly_counts(recs),
        "disagreements": [d.to_dict() for d in disagreements(recs)],
    }


# -- what tuning should use ------------------------------------------------------------------
def resolve_preferences(labels: Iterable[LabelRecord], adjudications: Mapping[int, str] | None = None,
                        exclude_pairs: Iterable[int] = ()) -> list[dict[str, Any]]:
    """One resolved outcome per pair: the researcher's decision, else the unanimous or strict-majority vote.

    adjudications: {pair_id: decision} with decision in a / b / tie / both_bad / discard.
    Pairs that are split without a majority (waiting for adjudication), discarded, or in
    `exclude_pairs` (e.g. repeat checks) are left out.
    """
    adjudications = adjudications or {}
    skip = set(exclude_pairs)
    by_pair: dict[int, list[LabelRecord]] = defaultdict(list)
    for r in labels:
        if r.outcome is not None and r.pair_id not in skip:
            by_pair[r.pair_id].append(r)
    for pair_id in adjudications:
        by_pair.setdefault(pair_id, [])
    out = []
    for pair_id, group in sorted(by_pair.items()):
        if pair_id in adjudications:
            outcome, source = adjudications[pair_id], "adjudicated"
            if outcome == "discard":
                continue
        else:
            votes = Counter(r.outcome for r in group).most_common()
            if len(votes) == 1:
                outcome, source = votes[0][0], "unanimous"
            elif votes[0][1] * 2 > len(group):
                outcome, source = votes[0][0], "majority"
            else:
                continue
        if not group:
            continue  # adjudicated but no labels here to take the pair's trajectories from
        first = group[0]
        preferred = {"a": first.traj_a, "b": first.traj_b}.get(outcome)
        rejected = {"a": first.traj_b, "b": first.traj_a}.get(outcome)
        out.append({"pair_id": pair_id, "task_id": first.task_id, "round_id": first.round_id,
                    "traj_a": first.traj_a, "traj_b": first.traj_b, "outcome": outcome, "preferred": preferred,
                    "rejected": rejected, "n_labels": len(group), "source": source})
    return out

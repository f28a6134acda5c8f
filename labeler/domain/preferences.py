"""What tuning reads: one resolved preference per pair (the one rule, used by rounds and the quality API).

A researcher's adjudication wins, else a unanimous or strict-majority vote; split pairs wait for
adjudication and discarded ones are dropped.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any, Iterable, Mapping

from labeler.db.store import Store
from labeler.domain.label_records import LabelRecord, records


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


def resolved_preferences(store: Store, task_id: int, round_id: int | None = None) -> list[dict[str, Any]]:
    """The task's resolved preferences, one per pair of rollouts: what tuning reads.

    Repeat checks (pairs over alias trajectories) are a second opinion of the same person on a
    pair already counted, so they never add a pair, and a pair of rollouts reached twice under
    different pair ids counts once. Ties and both-bad stay in (pgt_core gives them no DPO gradient).
    `round_id` keeps only that round's pairs.
    """
    aliases = store.quality.aliases()
    repeats = {int(c["pair_id"]) for c in store.quality.checks(task_id, "repeat")}
    recs = [r for r in records(store.labels.list(task_id=task_id, limit=None))
            if r.traj_a not in aliases and r.traj_b not in aliases]
    out, seen = [], set()
    for r in resolve_preferences(recs, store.quality.decisions(task_id), exclude_pairs=repeats):
        key = frozenset((r["traj_a"], r["traj_b"]))
        if key in seen:
            continue
        seen.add(key)
        if round_id is None or r["round_id"] == round_id:
            out.append(r)
    return out


def as_tuning_labels(resolved: Iterable[Mapping[str, Any]]) -> list[list[str]]:
    """[winner, loser, "left"] for decisive preferences, [traj_a, traj_b, outcome] for ties and both-bad."""
    return [[r["preferred"], r["rejected"], "left"] if r["preferred"] is not None
            else [r["traj_a"], r["traj_b"], r["outcome"]] for r in resolved]

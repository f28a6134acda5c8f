"""What tuning reads (the one rule, used by rounds and the quality API).

Pairwise labels: one resolved preference per pair: a researcher's adjudication wins, else a unanimous or
strict-majority vote; split pairs wait for adjudication and discarded ones are dropped. Per-episode grades:
one grade per episode (the strict majority of its annotators, else unsure), then every good x bad episode of
the same latent (`pgt_core.feedback.pairs_from_grades`). Best-of-K answers: every ordering each answer
implies, one answer one unit (`pairs_from_ranking`). Pairs made for the blind A/B evaluation of a candidate
are judgements of the candidate, never tuning data.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any, Iterable, Mapping

from labeler.db.store import Store
from labeler.domain.answers import ranking_of
from labeler.domain.label_records import LabelRecord, records
from pgt_core.feedback import SplitBy, pairs_from_grades, pairs_from_ranking, split_for
from pgt_core.pairs import Pair

AB_EVAL = "ab_eval"  # the pair source of a candidate's blind A/B evaluation


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
    rows = [r for r in store.labels.list(task_id=task_id, limit=None) if r.get("pair_source") != AB_EVAL]
    recs = [r for r in records(rows) if r.traj_a not in aliases and r.traj_b not in aliases]
    out, seen = [], set()
    for r in resolve_preferences(recs, store.quality.decisions(task_id), exclude_pairs=repeats):
        key = frozenset((r["traj_a"], r["traj_b"]))
        if key in seen:
            continue
        seen.add(key)
        if round_id is None or r["round_id"] == round_id:
            out.append(r)
    return out


def as_tuning_labels(resolved: Iterable[Mapping[str, Any]]) -> list[list[Any]]:
    """[winner, loser, "left", group, 1.0] for decisive preferences, [traj_a, traj_b, outcome, group, 1.0] for ties
    and both-bad (each pair one unit)."""
    return [[r["preferred"], r["rejected"], "left", f"pair-{r['pair_id']}", 1.0] if r["preferred"] is not None
            else [r["traj_a"], r["traj_b"], r["outcome"], f"pair-{r['pair_id']}", 1.0] for r in resolved]


def question_pairs(store: Store, task_id: int) -> list[list[Any]]:
    """[better, worse, "left", group, weight] from the task's per-episode grades and best-of-K answers."""
    grades: dict[str, list[str]] = defaultdict(list)
    rankings: list[Pair] = []
    for a in store.answers.list(task_id):
        answer = a["answer"]
        if answer.get("skip"):
            continue
        if a["mode"] == "per_episode":
            grades[a["episodes"][0]].append(answer["grade"])
        else:
            rankings += pairs_from_ranking(ranking_of(a["episodes"], answer), group=f"answer-{a['id']}")
    resolved = {ep: _majority(votes) for ep, votes in grades.items()}
    latent_of = {t["id"]: t["latent_id"] for t in store.trajectories.list(task_id) if t["id"] in resolved}
    graded = pairs_from_grades(resolved, latent_of)
    return [[p.i, p.j, p.label, p.group if p.group is None else str(p.group), p.weight] for p in graded + rankings]


def _majority(votes: list[str]) -> str:
    """The strict-majority grade of an episode's annotators, else unsure."""
    top, n = Counter(votes).most_common(1)[0]
    return top if n * 2 > len(votes) else "unsure"


def tuning_pairs(store: Store, task_id: int) -> list[list[Any]]:
    """Everything the task's people said, as [i, j, label, group, weight]: what a tune job receives."""
    return as_tuning_labels(resolved_preferences(store, task_id)) + question_pairs(store, task_id)


def tuning_split(store: Store, task_id: int) -> SplitBy:
    """How a tune job over `tuning_pairs` holds out pairs: by the feedback modes people answered in."""
    return split_for({"pairwise"} | {a["mode"] for a in store.answers.list(task_id) if not a["answer"].get("skip")})


def tuning_pair_records(store: Store, task_id: int) -> list[dict[str, Any]]:
    """`tuning_pairs` with named fields (what the quality API and the export show)."""
    return [{"chosen": i, "rejected": j, "label": label, "group": group, "weight": weight}
            for i, j, label, group, weight in tuning_pairs(store, task_id)]

"""What the tune job is fed: one resolved preference per pair, never the raw labels.

Two people disagreeing on a pair and a researcher deciding it gives that decision once; a
repeat check (the same pair again under alias trajectory ids) is a second opinion of the same
person and adds no pair; a split pair without a decision waits; ties stay (no DPO gradient).
"""
from __future__ import annotations

import uuid

import pytest

from labeler.config import AppConfig
from labeler.db.store import Store
from labeler.domain.preferences import as_tuning_labels, resolved_preferences
from labeler.domain.quality_checks import add_repeat_checks
from labeler.worker.runners import pairs_from_labels
from tests.support.synthetic import seed_data_dir


@pytest.fixture
def seeded(tmp_path):
    info = seed_data_dir(tmp_path, n_traj=8, per_traj=2, length=8)
    with Store(AppConfig(data_dir=tmp_path).db_path) as store:
        yield store, info


def _label(store: Store, pair_id: int, who: str, choice: str, swap: bool = False) -> None:
    pair = store.pairs.get(pair_id)
    left, right = (pair["traj_b"], pair["traj_a"]) if swap else (pair["traj_a"], pair["traj_b"])
    store.labels.add(submission_id=str(uuid.uuid4()), pair_id=pair_id, annotator=who, choice=choice,
                    left_traj=left, right_traj=right, time_spent_ms=1500)


def _tune_labels(store: Store, task_id: int) -> list[list[str]]:
    """The [i, j, label] part of what tuning reads (every pairwise label is its own unit of weight 1)."""
    rows = as_tuning_labels(resolved_preferences(store, task_id))
    assert all(r[3].startswith("pair-") and r[4] == 1.0 for r in rows)
    return [r[:3] for r in rows]


def test_adjudicated_pair_once_repeats_add_nothing(seeded):
    store, info = seeded
    task, (p1, p2, p3, p4) = info["task_id"], info["pair_ids"][:4]
    pair1, pair2, pair3 = (store.pairs.get(p) for p in (p1, p2, p3))

    _label(store, p1, "ann", "left")
    _label(store, p1, "bob", "right")  # 1:1 -> split
    _label(store, p2, "ann", "left")
    _label(store, p2, "bob", "left", swap=True)  # same screen side, other rollout: split too
    _label(store, p3, "ann", "right")
    _label(store, p3, "bob", "right")
    _label(store, p3, "cat", "left")  # 2:1 for traj_b
    _label(store, p4, "ann", "tie")

    store.quality.add_adjudication(p1, "b", "rita")

    labels = _tune_labels(store, task)
    assert [pair1["traj_b"], pair1["traj_a"], "left"] in labels  # the researcher's decision ...
    assert sum(frozenset(lab[:2]) == frozenset((pair1["traj_a"], pair1["traj_b"])) for lab in labels) == 1  # ... once
    assert not any(frozenset(lab[:2]) == frozenset((pair2["traj_a"], pair2["traj_b"])) for lab in labels)  # waits
    assert [pair3["traj_b"], pair3["traj_a"], "left"] in labels  # majority
    assert len(labels) == 3 and sum(lab[2] == "tie" for lab in labels) == 1
    pairs = pairs_from_labels(labels)
    assert sum(p.decisive for p in pairs) == 2

    # a repeat of pair 1 under alias ids, labelled again by ann (the other way round): no extra pair, no vote
    repeat = add_repeat_checks(store, task, n=10, seed=0)
    rep = next(c for c in repeat if c["original_pair_id"] == p1)
    _label(store, int(rep["pair_id"]), "ann", "left")
    for c in repeat:
        if c["original_pair_id"] == p3:
            _label(store, int(c["pair_id"]), "ann", "right")
    aliases = store.quality.aliases()
    after = _tune_labels(store, task)
    assert sorted(map(tuple, after)) == sorted(map(tuple, labels))
    assert not any(t in aliases for lab in after for t in lab[:2])


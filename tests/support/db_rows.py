"""Rows for the db tests: trajectories of a task, a label of a pair."""
from __future__ import annotations

from typing import Any

from labeler.db.store import Store


def add_trajs(store: Store, task_id: int, ids: list[str], round_id: int | None = None) -> None:
    for i, tid in enumerate(ids):
        store.trajectories.add(tid, task_id, seed=i, length=10, reward=float(i), success=i % 2 == 0,
                               events=[(3, "collect_wood")], artifact=f"{tid}.npz", round_id=round_id)


def label(store: Store, pair: dict[str, Any], sub: str = "sub-00001", who: str = "ann", choice: str = "left",
          swap: bool = False) -> tuple[dict[str, Any], bool]:
    left, right = (pair["traj_b"], pair["traj_a"]) if swap else (pair["traj_a"], pair["traj_b"])
    return store.labels.add(submission_id=sub, pair_id=pair["id"], annotator=who, choice=choice,
                            left_traj=left, right_traj=right, time_spent_ms=1200)

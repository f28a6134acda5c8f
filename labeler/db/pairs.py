"""The `pairs` table: unordered comparisons of two trajectories of one task, queued for annotators."""
from __future__ import annotations

import functools
from typing import Any, Iterable

from labeler.db.database import Database, plain
from labeler.db.label_index import LabelIndex, pair_item
from labeler.db.tasks import TaskRepo
from labeler.db.trajectories import TrajectoryRepo
from labeler.errors import Invalid, NotFound

_SIDE_COLUMNS = ("id", "length", "reward", "success", "events", "artifact_sha256")


class PairRepo:
    def __init__(self, db: Database, index: LabelIndex, tasks: TaskRepo, trajectories: TrajectoryRepo) -> None:
        self.db, self.index, self.tasks, self.trajectories = db, index, tasks, trajectories
        self._details: dict[int, dict[str, Any]] = {}  # pairs and trajectories never change

    def add(self, task_id: int, pairs: Iterable[tuple[str, str]], round_id: int | None = None,
            source: str = "human") -> list[dict[str, Any]]:
        """Add unordered pairs of the task's trajectories; pairs that exist already are skipped."""
        out: list[dict[str, Any]] = []
        with self.db.lock:
            self.tasks.get(task_id)
            for a, b in pairs:
                if a == b:
                    raise Invalid(f"a pair needs two different trajectories, got {a!r} twice")
                a, b = sorted((a, b))
                for t in (a, b):
                    if self.trajectories.get(t)["task_id"] != task_id:
                        raise Invalid(f"trajectory {t!r} belongs to another task")
                if self.db.one("SELECT id FROM pairs WHERE task_id = ? AND traj_a = ? AND traj_b = ?",
                               [task_id, a, b]):
                    continue
                row = self.db.one(
                    "INSERT INTO pairs (task_id, round_id, traj_a, traj_b, source) VALUES (?, ?, ?, ?, ?) RETURNING *",
                    [int(task_id), round_id, a, b, source],
                )
                self.db.after_commit(functools.partial(self.index.add_item, int(task_id), pair_item(row["id"]),
                                                       round_id))
                out.append(row)
        return out

    def get(self, pair_id: int) -> dict[str, Any]:
        return self.db.by_id("pairs", int(pair_id), "pair")

    def detail(self, pair_id: int) -> dict[str, Any]:
        """A pair with its task's target and both trajectories' metadata (cached: none of it changes)."""
        cached = self._details.get(int(pair_id))
        if cached is not None:
            return cached
        a_cols = ", ".join(f"a.{c}" for c in _SIDE_COLUMNS)
        b_cols = ", ".join(f"b.{c}" for c in _SIDE_COLUMNS)
        rows = self.db.tuples(
            f"""SELECT p.id, p.task_id, p.round_id, t.achievement, t.max_steps, p.source, {a_cols}, {b_cols}
                FROM pairs p JOIN tasks t ON t.id = p.task_id
                  JOIN trajectories a ON a.id = p.traj_a JOIN trajectories b ON b.id = p.traj_b
                WHERE p.id = ?""",
            [int(pair_id)],
        )
        if not rows:
            raise NotFound(f"no pair with id {pair_id}")
        row, n = rows[0], len(_SIDE_COLUMNS)

        def side(values: tuple[Any, ...]) -> dict[str, Any]:
            return {c: plain(v, c) for c, v in zip(_SIDE_COLUMNS, values, strict=True)}

        detail = {"id": row[0], "task_id": row[1], "round_id": row[2], "achievement": row[3], "max_steps": row[4],
                  "source": row[5], "a": side(row[6:6 + n]), "b": side(row[6 + n:6 + 2 * n])}
        self._details[int(pair_id)] = detail
        return detail

    def list(self, task_id: int) -> list[dict[str, Any]]:
        """Pairs with how many live labels (skips and undone ones excluded) each has."""
        return self.db.query(
            """SELECT p.*, count(l.id) FILTER (WHERE l.choice <> 'skip' AND l.undone_at IS NULL) AS n_labels
               FROM pairs p LEFT JOIN labels l ON l.pair_id = p.id
               WHERE p.task_id = ? GROUP BY ALL ORDER BY p.id""",
            [int(task_id)],
        )

"""The `questions` table: one episode (mode per_episode) or K episodes (best_of_k) of one task, queued for
annotators like pairs are (pairwise rounds use the pairs table)."""
from __future__ import annotations

import functools
import json
from typing import Any, Iterable, Sequence

from labeler.db.answers import is_skip
from labeler.db.database import Database
from labeler.db.label_index import LabelIndex, question_item
from labeler.db.tasks import TaskRepo
from labeler.db.trajectories import TrajectoryRepo
from labeler.errors import Invalid

QUESTION_MODES = ("per_episode", "best_of_k")
MAX_EPISODES = 8


class QuestionRepo:
    def __init__(self, db: Database, index: LabelIndex, tasks: TaskRepo, trajectories: TrajectoryRepo) -> None:
        self.db, self.index, self.tasks, self.trajectories = db, index, tasks, trajectories

    def add(self, task_id: int, mode: str, groups: Iterable[Sequence[str]], round_id: int | None = None,
            source: str = "round") -> list[dict[str, Any]]:
        """One question per group of episode ids (one id for per_episode, 2-8 for best_of_k)."""
        if mode not in QUESTION_MODES:
            raise Invalid(f"mode must be one of {', '.join(QUESTION_MODES)}")
        out = []
        with self.db.lock:
            self.tasks.get(task_id)
            for group in groups:
                eps = [str(e) for e in group]
                want = (1, 1) if mode == "per_episode" else (2, MAX_EPISODES)
                if not want[0] <= len(eps) <= want[1] or len(set(eps)) != len(eps):
                    raise Invalid(f"a {mode} question needs {want[0]}-{want[1]} distinct episodes, got {eps}")
                for t in eps:
                    if self.trajectories.get(t)["task_id"] != task_id:
                        raise Invalid(f"trajectory {t!r} belongs to another task")
                row = self.db.one("INSERT INTO questions (task_id, round_id, mode, episodes, source) "
                                  "VALUES (?, ?, ?, ?, ?) RETURNING *", [int(task_id), round_id, mode,
                                                                         json.dumps(eps), source])
                self.db.after_commit(functools.partial(self.index.add_item, int(task_id), question_item(row["id"]),
                                                       round_id))
                out.append(row)
        return out

    def get(self, question_id: int) -> dict[str, Any]:
        return self.db.by_id("questions", int(question_id), "question")

    def list(self, task_id: int, round_id: int | None = None) -> list[dict[str, Any]]:
        """Questions with how many live answers (skips excluded) each has."""
        where, params = "q.task_id = ?", [int(task_id)]
        if round_id is not None:
            where += " AND q.round_id = ?"
            params.append(int(round_id))
        return self.db.query(
            f"""SELECT q.*, count(a.id) FILTER (WHERE a.undone_at IS NULL AND NOT {is_skip()}) AS n_labels
                FROM questions q LEFT JOIN answers a ON a.question_id = q.id
                WHERE {where} GROUP BY ALL ORDER BY q.id""", params)

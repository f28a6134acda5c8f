"""The `tasks` table: what annotators judge and what a latent is tuned for."""
from __future__ import annotations

from typing import Any

from labeler.db.database import Database
from labeler.errors import Conflict
from labeler.identifiers import check_id


class TaskRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, name: str, achievement: str, max_steps: int, description: str = "",
               env: str = "crafter") -> dict[str, Any]:
        check_id(name, "task name")
        with self.db.lock:
            if self.by_name(name) is not None:
                raise Conflict(f"a task named {name!r} already exists")
            return self.db.one(
                "INSERT INTO tasks (name, env, achievement, max_steps, description) VALUES (?, ?, ?, ?, ?) RETURNING *",
                [name, env, achievement, int(max_steps), description],
            )

    def get(self, task_id: int) -> dict[str, Any]:
        return self.db.by_id("tasks", int(task_id), "task")

    def by_name(self, name: str) -> dict[str, Any] | None:
        return self.db.one("SELECT * FROM tasks WHERE name = ?", [name])

    def list(self) -> list[dict[str, Any]]:
        """Tasks with their trajectory, pair and label counts (skips excluded)."""
        return self.db.query(
            """SELECT t.*,
                 (SELECT count(*) FROM trajectories x WHERE x.task_id = t.id) AS n_trajectories,
                 (SELECT count(*) FROM pairs p WHERE p.task_id = t.id) AS n_pairs,
                 (SELECT count(*) FROM labels l JOIN pairs p ON l.pair_id = p.id
                   WHERE p.task_id = t.id AND l.choice <> 'skip') AS n_labels
               FROM tasks t ORDER BY t.id"""
        )

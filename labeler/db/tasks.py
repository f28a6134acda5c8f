"""The `tasks` table: what annotators judge and what a latent is tuned for."""
from __future__ import annotations

from typing import Any

from labeler.db.answers import is_skip
from labeler.db.database import Database
from labeler.errors import Conflict
from labeler.identifiers import check_id


class TaskRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, name: str, achievement: str, max_steps: int, description: str = "",
               env: str = "crafter", hints: bool = False, instructions: str = "") -> dict[str, Any]:
        check_id(name, "task name")
        with self.db.lock:
            if self.by_name(name) is not None:
                raise Conflict(f"a task named {name!r} already exists")
            return self.db.one(
                """INSERT INTO tasks (name, env, achievement, max_steps, description, hints, instructions)
                   VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *""",
                [name, env, achievement, int(max_steps), description, bool(hints), instructions],
            )

    def update_settings(self, task_id: int, hints: bool | None = None, instructions: str | None = None
                        ) -> dict[str, Any]:
        """What annotators see of the task: hints (reward marks) on or off, the researcher's instructions."""
        with self.db.lock:
            self.get(task_id)
            for column, value in (("hints", hints), ("instructions", instructions)):
                if value is not None:  # plain UPDATEs: tasks are rows that foreign keys point at
                    self.db.execute(f"UPDATE tasks SET {column} = ? WHERE id = ?", [value, int(task_id)])
            return self.get(task_id)

    def get(self, task_id: int) -> dict[str, Any]:
        return self.db.by_id("tasks", int(task_id), "task")

    def by_name(self, name: str) -> dict[str, Any] | None:
        return self.db.one("SELECT * FROM tasks WHERE name = ?", [name])

    def list(self) -> list[dict[str, Any]]:
        """Tasks with their trajectory, pair, question and live answer counts (skips and undone answers excluded;
        n_labels counts pairwise labels and answers to questions together; n_items = pairs + questions)."""
        rows = self.db.query(
            f"""SELECT t.*,
                 (SELECT count(*) FROM trajectories x WHERE x.task_id = t.id) AS n_trajectories,
                 (SELECT count(*) FROM pairs p WHERE p.task_id = t.id) AS n_pairs,
                 (SELECT count(*) FROM questions q WHERE q.task_id = t.id) AS n_questions,
                 (SELECT count(*) FROM labels l JOIN pairs p ON l.pair_id = p.id
                   WHERE p.task_id = t.id AND l.choice <> 'skip' AND l.undone_at IS NULL)
                 + (SELECT count(*) FROM answers a JOIN questions q ON a.question_id = q.id
                   WHERE q.task_id = t.id AND a.undone_at IS NULL AND NOT {is_skip()}) AS n_labels
               FROM tasks t ORDER BY t.id"""
        )
        return [{**t, "n_items": t["n_pairs"] + t["n_questions"]} for t in rows]

"""The `evaluations` table: a latent's outcomes on a fixed set of evaluation seeds, kept for reuse.

One row per fingerprint of everything that determines the episodes (labeler.domain.evaluations says
what goes in); rows are written once and never change, so a second write of the same one is a no-op.
"""
from __future__ import annotations

import json
from typing import Any

from labeler.db.database import Database
from labeler.db.tasks import TaskRepo


class EvaluationRepo:
    def __init__(self, db: Database, tasks: TaskRepo) -> None:
        self.db, self.tasks = db, tasks

    def get(self, fingerprint: str) -> dict[str, Any] | None:
        return self.db.one("SELECT * FROM evaluations WHERE fingerprint = ?", [str(fingerprint)])

    def add(self, fingerprint: str, task_id: int, latent_id: int, meta: dict[str, Any], result: dict[str, Any],
            job_id: int | None = None) -> dict[str, Any]:
        """Keep an evaluation; the one already kept under this fingerprint wins (both describe the same episodes)."""
        with self.db.lock:
            self.tasks.get(task_id)
            kept = self.get(fingerprint)
            if kept is not None:
                return kept
            return self.db.one(
                """INSERT INTO evaluations (fingerprint, task_id, latent_id, job_id, meta, result)
                   VALUES (?, ?, ?, ?, ?, ?) RETURNING *""",
                [str(fingerprint), int(task_id), int(latent_id), job_id, json.dumps(meta), json.dumps(result)])

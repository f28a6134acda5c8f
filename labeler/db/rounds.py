"""The `rounds` table: one row per round of a task, with its one status, settings, current job and result.

The transitions between statuses are the state machine in labeler.domain.rounds; this module
only stores them and refuses a status outside the machine's vocabulary.
"""
from __future__ import annotations

import json
from typing import Any, Iterable

from labeler.db.database import Database
from labeler.db.latents import LatentRepo
from labeler.db.tasks import TaskRepo
from labeler.errors import Invalid

STATUSES = ("collecting", "labelling", "tuning", "rolling_out", "evaluating", "review", "promoting",
            "promoted", "rejected", "failed")
_MUTABLE = ("status", "config", "job_id", "candidate_latent_id", "result", "error", "rollout_job_id")
_JSON = ("config", "result")


class RoundRepo:
    def __init__(self, db: Database, tasks: TaskRepo, latents: LatentRepo) -> None:
        self.db, self.tasks, self.latents = db, tasks, latents

    def create(self, task_id: int, latent_id: int | None = None, status: str = "labelling",
               config: dict[str, Any] | None = None) -> dict[str, Any]:
        """Open the task's next round (numbered 1, 2, ...)."""
        _check_status(status)
        with self.db.lock:
            self.tasks.get(task_id)
            if latent_id is not None:
                self.latents.get(latent_id)
            number = int(self.db.scalar("SELECT coalesce(max(number), 0) + 1 FROM rounds WHERE task_id = ?",
                                        [int(task_id)]))
            return self.db.one(
                """INSERT INTO rounds (task_id, latent_id, number, status, config, updated_at)
                   VALUES (?, ?, ?, ?, ?, now()) RETURNING *""",
                [int(task_id), latent_id, number, status, json.dumps(config) if config is not None else None],
            )

    def get(self, round_id: int) -> dict[str, Any]:
        return self.db.by_id("rounds", int(round_id), "round")

    def list(self, task_id: int | None = None, statuses: Iterable[str] | None = None) -> list[dict[str, Any]]:
        where, params = ["TRUE"], []
        if task_id is not None:
            where.append("task_id = ?")
            params.append(int(task_id))
        wanted = list(statuses or [])
        if wanted:
            where.append(f"status IN ({', '.join('?' for _ in wanted)})")
            params.extend(wanted)
        return self.db.query(f"SELECT * FROM rounds WHERE {' AND '.join(where)} ORDER BY task_id, number", params)

    def update(self, round_id: int, **fields: Any) -> dict[str, Any]:
        """Change the given fields (status, config, job_id, candidate_latent_id, result, error)."""
        unknown = set(fields) - set(_MUTABLE)
        if unknown:
            raise ValueError(f"unknown round fields: {sorted(unknown)}")
        if "status" in fields:
            _check_status(fields["status"])
        values = {k: json.dumps(v) if k in _JSON and v is not None else v for k, v in fields.items()}
        sets = "".join(f"{k} = ?, " for k in values)
        with self.db.lock:
            self.get(round_id)  # NotFound for an unknown id
            # No RETURNING: DuckDB runs an UPDATE ... RETURNING of a row that foreign keys point at as a
            # delete + insert, which the foreign keys refuse; a plain UPDATE of unindexed columns is fine.
            self.db.execute(f"UPDATE rounds SET {sets}updated_at = now() WHERE id = ?",
                            [*values.values(), int(round_id)])
            return self.get(round_id)


def _check_status(status: object) -> None:
    if status not in STATUSES:
        raise Invalid(f"unknown round status {status!r}; a round is one of {', '.join(STATUSES)}")

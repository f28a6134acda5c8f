"""The latent library: `latents` (each task's z0 and tuned latents) and `latent_promotions`.

A task's active latent is the outcome of the append-only promotion log (promote pushes,
rollback pops; see labeler.domain.latents), so every change of it stays on record.
"""
from __future__ import annotations

import json
from typing import Any, Iterable

import numpy as np

from labeler.db.database import Database
from labeler.db.tasks import TaskRepo
from labeler.errors import Invalid
from pgt_core import LATENT_DIM

PROMOTION_ACTIONS = ("promote", "rollback")


class LatentRepo:
    def __init__(self, db: Database, tasks: TaskRepo) -> None:
        self.db, self.tasks = db, tasks

    def add(self, task_id: int, vector: Iterable[float] | np.ndarray, source: str, parent_id: int | None = None,
            meta: dict[str, Any] | None = None) -> dict[str, Any]:
        with np.errstate(over="ignore"):  # a number too large for float32 becomes inf, refused just below
            vec = np.asarray(vector if isinstance(vector, np.ndarray) else list(vector), dtype=np.float32).reshape(-1)
        if vec.shape != (LATENT_DIM,):
            raise Invalid(f"a latent must have {LATENT_DIM} floats, got {vec.shape[0]}")
        if not np.isfinite(vec).all():
            raise Invalid("a latent must be finite")
        with self.db.lock:
            self.tasks.get(task_id)
            if parent_id is not None:
                self.get(parent_id)
            return self.db.one(
                "INSERT INTO latents (task_id, vector, source, parent_id, meta) VALUES (?, ?, ?, ?, ?) RETURNING *",
                [int(task_id), vec.tolist(), source, parent_id, json.dumps(meta or {})],
            )

    def get(self, latent_id: int) -> dict[str, Any]:
        return self.db.by_id("latents", int(latent_id), "latent")

    def list(self, task_id: int, vectors: bool = False) -> list[dict[str, Any]]:
        """A task's latents, oldest first; the 512 floats only with `vectors` (or fetch one with `get`)."""
        cols = "id, task_id, source, parent_id, meta, created_at" + (", vector" if vectors else "")
        return self.db.query(f"SELECT {cols} FROM latents WHERE task_id = ? ORDER BY id", [int(task_id)])

    # -- the promotion log --------------------------------------------------------------------
    def add_promotion(self, task_id: int, latent_id: int, action: str, round_id: int | None = None) -> dict[str, Any]:
        if action not in PROMOTION_ACTIONS:
            raise Invalid(f"action must be promote or rollback, got {action!r}")
        return self.db.one(
            "INSERT INTO latent_promotions (task_id, latent_id, action, round_id) VALUES (?, ?, ?, ?) RETURNING *",
            [int(task_id), int(latent_id), action, round_id],
        )

    def promotions(self, task_id: int) -> list[dict[str, Any]]:
        return self.db.query("SELECT * FROM latent_promotions WHERE task_id = ? ORDER BY id", [int(task_id)])

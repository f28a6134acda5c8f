"""The `trajectories` table: metadata of recorded episodes (arrays and videos live in the artifact directory)."""
from __future__ import annotations

import json
from typing import Any, Sequence

from labeler.db.database import Database
from labeler.db.rounds import RoundRepo
from labeler.db.tasks import TaskRepo
from labeler.errors import Conflict, Invalid
from labeler.identifiers import check_id


class TrajectoryRepo:
    def __init__(self, db: Database, tasks: TaskRepo, rounds: RoundRepo) -> None:
        self.db, self.tasks, self.rounds = db, tasks, rounds

    def add(self, traj_id: str, task_id: int, *, seed: int, length: int, reward: float, success: bool,
            events: Sequence[Sequence[Any]], artifact: str, round_id: int | None = None,
            latent_id: int | None = None, meta: dict[str, Any] | None = None,
            artifact_sha256: str | None = None) -> dict[str, Any]:
        """Register a trajectory whose arrays already lie in the artifact directory as `artifact`."""
        check_id(traj_id, "trajectory id")
        events_list = [[int(s), str(n)] for s, n in events]
        with self.db.lock:
            self.tasks.get(task_id)
            if round_id is not None and self.rounds.get(round_id)["task_id"] != task_id:
                raise Invalid(f"round {round_id} belongs to another task")
            if self.db.one("SELECT id FROM trajectories WHERE id = ?", [traj_id]) is not None:
                raise Conflict(f"trajectory {traj_id!r} already exists")
            return self.db.one(
                """INSERT INTO trajectories (id, task_id, round_id, latent_id, seed, length, reward, success,
                     events, artifact, meta, artifact_sha256)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *""",
                [traj_id, int(task_id), round_id, latent_id, int(seed), int(length), float(reward), bool(success),
                 json.dumps(events_list), artifact, json.dumps(meta or {}), artifact_sha256],
            )

    def get(self, traj_id: str) -> dict[str, Any]:
        return self.db.by_id("trajectories", traj_id, "trajectory")

    def find(self, traj_id: str) -> dict[str, Any] | None:
        return self.db.one("SELECT * FROM trajectories WHERE id = ?", [traj_id])

    def list(self, task_id: int, round_id: int | None = None) -> list[dict[str, Any]]:
        if round_id is None:
            return self.db.query("SELECT * FROM trajectories WHERE task_id = ? ORDER BY created_at, id", [int(task_id)])
        return self.db.query(
            "SELECT * FROM trajectories WHERE task_id = ? AND round_id = ? ORDER BY created_at, id",
            [int(task_id), int(round_id)],
        )

"""Issue-6 tables (round_state, latent_promotions, job_logs) on the app's one DuckDB connection.

Why a separate class over `Store` rather than more methods on it: the store owns the
connection and its lock (DuckDB admits one read-write process per file), and these tables
are the rounds machinery's own bookkeeping. `RoundStore` borrows the store's connection
helpers and lock, so every statement here is serialised with the store's own.

Why these tables exist at all (and not columns on rounds/tasks): DuckDB refuses to UPDATE a
row that a foreign key references, and rounds, tasks and latents all are referenced. So a
round's mutable state is a row in `round_state`, and a task's active latent is the outcome
of the append-only `latent_promotions` log (see `labeler.rounds.active_latent_id`).
"""
from __future__ import annotations

import json
from typing import Any, Iterable, Sequence

from labeler.errors import Invalid
from labeler.store import Store

_STATE_FIELDS = ("status", "config", "job_id", "candidate_latent_id", "result", "error")
_JSON_FIELDS = ("config", "result")
MAX_LOG_LINES = 200  # per request
MAX_LOG_CHARS = 2000  # per line


def _decode(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    for key in _JSON_FIELDS:
        if isinstance(row.get(key), str):
            row[key] = json.loads(row[key])
    return row


class RoundStore:
    def __init__(self, store: Store) -> None:
        self.store = store

    # -- round state --------------------------------------------------------------------------
    def state(self, round_id: int) -> dict[str, Any] | None:
        return _decode(self.store._one("SELECT * FROM round_state WHERE round_id = ?", [int(round_id)]))

    def set_state(self, round_id: int, **fields: Any) -> dict[str, Any]:
        """Create or update a round's state; only the given fields change."""
        unknown = set(fields) - set(_STATE_FIELDS)
        if unknown:
            raise ValueError(f"unknown round_state fields: {sorted(unknown)}")
        values = {k: json.dumps(v) if k in _JSON_FIELDS and v is not None else v for k, v in fields.items()}
        with self.store._lock:
            if self.state(round_id) is None:
                cols = ["round_id", *values]
                return _decode(self.store._one(
                    f"INSERT INTO round_state ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)}) RETURNING *",
                    [int(round_id), *values.values()]))
            sets = ", ".join(f"{k} = ?" for k in values)
            return _decode(self.store._one(
                f"UPDATE round_state SET {sets}{', ' if sets else ''}updated_at = now() WHERE round_id = ? RETURNING *",
                [*values.values(), int(round_id)]))

    def rounds(self, task_id: int | None = None, statuses: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Rounds joined with their state; `status` falls back to the round's own column (e.g. 'open')."""
        where, params = ["TRUE"], []
        if task_id is not None:
            where.append("r.task_id = ?")
            params.append(int(task_id))
        sts = list(statuses or [])
        if sts:
            where.append(f"coalesce(s.status, r.status) IN ({', '.join('?' for _ in sts)})")
            params.extend(sts)
        rows = self.store._query(
            f"""SELECT r.id, r.task_id, r.latent_id, r.number, r.created_at,
                  coalesce(s.status, r.status) AS status, s.config, s.job_id, s.candidate_latent_id, s.result,
                  s.error, s.updated_at
                FROM rounds r LEFT JOIN round_state s ON s.round_id = r.id
                WHERE {' AND '.join(where)} ORDER BY r.task_id, r.number""",
            params,
        )
        return [_decode(r) for r in rows]

    def round(self, round_id: int) -> dict[str, Any]:
        self.store.get_round(round_id)  # NotFound for an unknown id
        return next(r for r in self.rounds() if r["id"] == int(round_id))

    # -- latent promotions --------------------------------------------------------------------
    def add_promotion(self, task_id: int, latent_id: int, action: str, round_id: int | None = None) -> dict[str, Any]:
        if action not in ("promote", "rollback"):
            raise Invalid(f"action must be promote or rollback, got {action!r}")
        return self.store._one(
            "INSERT INTO latent_promotions (task_id, latent_id, action, round_id) VALUES (?, ?, ?, ?) RETURNING *",
            [int(task_id), int(latent_id), action, round_id],
        )

    def promotions(self, task_id: int) -> list[dict[str, Any]]:
        return self.store._query("SELECT * FROM latent_promotions WHERE task_id = ? ORDER BY id", [int(task_id)])

    # -- job logs -----------------------------------------------------------------------------
    def add_job_logs(self, job_id: int, attempt: int, worker: str | None, lines: Sequence[str]) -> int:
        lines = [str(x)[:MAX_LOG_CHARS] for x in list(lines)[:MAX_LOG_LINES] if str(x).strip()]
        with self.store._lock:
            for line in lines:
                self.store._query("INSERT INTO job_logs (job_id, attempt, worker, message) VALUES (?, ?, ?, ?)",
                                  [int(job_id), int(attempt), worker, line])
        return len(lines)

    def job_logs(self, job_id: int, after_id: int = 0, limit: int = 500) -> list[dict[str, Any]]:
        return self.store._query(
            "SELECT * FROM job_logs WHERE job_id = ? AND id > ? ORDER BY id LIMIT ?",
            [int(job_id), int(after_id), int(limit)],
        )

"""Issue-7 quality tables (quality_checks, trajectory_aliases, adjudications) on the app's DuckDB connection.

Why a class over `Store` (like `labeler.round_store.RoundStore`): the store owns the one
connection and its lock; these tables are annotator-quality bookkeeping and are only
appended to (DuckDB refuses UPDATEs of rows a foreign key points at, so nothing here is
updated, and nothing references these tables).

- quality_checks: which pairs are gold (answer known from reward) or repeats (a copy of an
  earlier pair, under alias trajectory ids so the same person can label it again).
- trajectory_aliases: alias trajectory id -> original id (a repeat's rollouts are the
  originals, registered again under new ids because labels are unique per (pair, person)).
- adjudications: a researcher's decision on a disputed pair; the latest one per pair counts.

Schema: `QUALITY_STATEMENTS` are idempotent (IF NOT EXISTS). Register them as a numbered
migration with `quality_migration(version)` in `labeler.schema.MIGRATIONS`, or call
`QualityStore(store).ensure_schema()` (what the quality router does on first use); both
are safe together.
"""
from __future__ import annotations

from typing import Any

from labeler.errors import Invalid
from labeler.schema import Migration
from labeler.store import Store

DECISIONS = ("a", "b", "tie", "both_bad", "discard")
CHECK_KINDS = ("gold", "repeat")

QUALITY_STATEMENTS: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS quality_checks (
        pair_id BIGINT PRIMARY KEY,
        task_id BIGINT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('gold', 'repeat')),
        expected TEXT,
        original_pair_id BIGINT,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )""",
    """CREATE TABLE IF NOT EXISTS trajectory_aliases (
        alias TEXT PRIMARY KEY,
        original TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )""",
    "CREATE SEQUENCE IF NOT EXISTS adjudication_ids START 1",
    """CREATE TABLE IF NOT EXISTS adjudications (
        id BIGINT PRIMARY KEY DEFAULT nextval('adjudication_ids'),
        pair_id BIGINT NOT NULL,
        task_id BIGINT NOT NULL,
        round_id BIGINT,
        decision TEXT NOT NULL CHECK (decision IN ('a', 'b', 'tie', 'both_bad', 'discard')),
        preferred TEXT,
        researcher TEXT NOT NULL,
        note TEXT,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )""",
    "CREATE INDEX IF NOT EXISTS adjudications_task ON adjudications (task_id)",
)


def quality_migration(version: int) -> Migration:
    """The quality tables as a numbered migration, for the integrator to append to MIGRATIONS."""
    return Migration(version, "quality_checks, trajectory_aliases, adjudications (issue 7)", QUALITY_STATEMENTS)


class QualityStore:
    def __init__(self, store: Store) -> None:
        self.store = store

    def ensure_schema(self) -> None:
        with self.store._lock:
            for stmt in QUALITY_STATEMENTS:
                self.store._con.execute(stmt)

    # -- gold and repeat checks ---------------------------------------------------------------
    def add_check(self, pair_id: int, task_id: int, kind: str, expected: str | None = None,
                  original_pair_id: int | None = None) -> dict[str, Any]:
        if kind not in CHECK_KINDS:
            raise Invalid(f"check kind must be one of {CHECK_KINDS}, got {kind!r}")
        with self.store._lock:
            prior = self.store._one("SELECT * FROM quality_checks WHERE pair_id = ?", [int(pair_id)])
            if prior is not None:
                return prior
            return self.store._one(
                """INSERT INTO quality_checks (pair_id, task_id, kind, expected, original_pair_id)
                   VALUES (?, ?, ?, ?, ?) RETURNING *""",
                [int(pair_id), int(task_id), kind, expected, original_pair_id],
            )

    def checks(self, task_id: int, kind: str | None = None) -> list[dict[str, Any]]:
        if kind is None:
            return self.store._query("SELECT * FROM quality_checks WHERE task_id = ? ORDER BY pair_id", [int(task_id)])
        return self.store._query("SELECT * FROM quality_checks WHERE task_id = ? AND kind = ? ORDER BY pair_id",
                                 [int(task_id), kind])

    def gold(self, task_id: int) -> dict[int, str]:
        """{pair_id: trajectory id that should win} for the task's gold pairs."""
        return {int(r["pair_id"]): r["expected"] for r in self.checks(task_id, "gold")}

    def add_alias(self, alias: str, original: str) -> None:
        self.store._query("INSERT INTO trajectory_aliases (alias, original) VALUES (?, ?)", [alias, original])

    def aliases(self) -> dict[str, str]:
        """{alias trajectory id: original id} (for self-consistency and for de-duplicating tuning data)."""
        return {r["alias"]: r["original"] for r in self.store._query("SELECT alias, original FROM trajectory_aliases")}

    # -- adjudication -------------------------------------------------------------------------
    def add_adjudication(self, pair_id: int, decision: str, researcher: str, note: str | None = None
                         ) -> dict[str, Any]:
        """Record a researcher's decision on a pair (append-only; the latest per pair counts)."""
        if decision not in DECISIONS:
            raise Invalid(f"decision must be one of {DECISIONS}, got {decision!r}")
        pair = self.store.get_pair(pair_id)
        preferred = {"a": pair["traj_a"], "b": pair["traj_b"]}.get(decision)
        return self.store._one(
            """INSERT INTO adjudications (pair_id, task_id, round_id, decision, preferred, researcher, note)
               VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *""",
            [int(pair_id), pair["task_id"], pair["round_id"], decision, preferred, researcher, note],
        )

    def adjudications(self, task_id: int, latest_only: bool = True) -> list[dict[str, Any]]:
        rows = self.store._query("SELECT * FROM adjudications WHERE task_id = ? ORDER BY id", [int(task_id)])
        if not latest_only:
            return rows
        latest: dict[int, dict[str, Any]] = {}
        for r in rows:
            latest[int(r["pair_id"])] = r
        return sorted(latest.values(), key=lambda r: r["pair_id"])

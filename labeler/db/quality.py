"""Annotator-quality tables: `quality_checks`, `trajectory_aliases`, `adjudications` (append-only).

- quality_checks: which pairs are gold (answer known from reward) or repeats (a copy of an
  earlier pair, under alias trajectory ids so the same person can label it again).
- trajectory_aliases: alias trajectory id -> original id (a repeat's rollouts are the originals,
  registered again under new ids because labels are unique per (pair, person)).
- adjudications: a researcher's decision on a disputed pair; the latest one per pair counts.
"""
from __future__ import annotations

from typing import Any

from labeler.db.database import Database
from labeler.db.pairs import PairRepo
from labeler.errors import Invalid

DECISIONS = ("a", "b", "tie", "both_bad", "discard")
CHECK_KINDS = ("gold", "repeat")


class QualityRepo:
    def __init__(self, db: Database, pairs: PairRepo) -> None:
        self.db, self.pairs = db, pairs

    # -- gold and repeat checks ---------------------------------------------------------------
    def add_check(self, pair_id: int, task_id: int, kind: str, expected: str | None = None,
                  original_pair_id: int | None = None) -> dict[str, Any]:
        if kind not in CHECK_KINDS:
            raise Invalid(f"check kind must be one of {CHECK_KINDS}, got {kind!r}")
        with self.db.lock:
            prior = self.db.one("SELECT * FROM quality_checks WHERE pair_id = ?", [int(pair_id)])
            if prior is not None:
                return prior
            return self.db.one(
                """INSERT INTO quality_checks (pair_id, task_id, kind, expected, original_pair_id)
                   VALUES (?, ?, ?, ?, ?) RETURNING *""",
                [int(pair_id), int(task_id), kind, expected, original_pair_id],
            )

    def checks(self, task_id: int, kind: str | None = None) -> list[dict[str, Any]]:
        if kind is None:
            return self.db.query("SELECT * FROM quality_checks WHERE task_id = ? ORDER BY pair_id", [int(task_id)])
        return self.db.query("SELECT * FROM quality_checks WHERE task_id = ? AND kind = ? ORDER BY pair_id",
                             [int(task_id), kind])

    def gold(self, task_id: int) -> dict[int, str]:
        """{pair_id: trajectory id that should win} for the task's gold pairs."""
        return {int(r["pair_id"]): r["expected"] for r in self.checks(task_id, "gold")}

    def add_alias(self, alias: str, original: str) -> None:
        self.db.execute("INSERT INTO trajectory_aliases (alias, original) VALUES (?, ?)", [alias, original])

    def aliases(self) -> dict[str, str]:
        """{alias trajectory id: original id}."""
        return {r["alias"]: r["original"] for r in self.db.query("SELECT alias, original FROM trajectory_aliases")}

    # -- adjudication -------------------------------------------------------------------------
    def add_adjudication(self, pair_id: int, decision: str, researcher: str, note: str | None = None
                         ) -> dict[str, Any]:
        """Record a researcher's decision on a pair (append-only; the latest per pair counts)."""
        if decision not in DECISIONS:
            raise Invalid(f"decision must be one of {DECISIONS}, got {decision!r}")
        pair = self.pairs.get(pair_id)
        preferred = {"a": pair["traj_a"], "b": pair["traj_b"]}.get(decision)
        return self.db.one(
            """INSERT INTO adjudications (pair_id, task_id, round_id, decision, preferred, researcher, note)
               VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *""",
            [int(pair_id), pair["task_id"], pair["round_id"], decision, preferred, researcher, note],
        )

    def adjudications(self, task_id: int, latest_only: bool = True) -> list[dict[str, Any]]:
        rows = self.db.query("SELECT * FROM adjudications WHERE task_id = ? ORDER BY id", [int(task_id)])
        if not latest_only:
            return rows
        latest: dict[int, dict[str, Any]] = {int(r["pair_id"]): r for r in rows}
        return sorted(latest.values(), key=lambda r: r["pair_id"])

    def decisions(self, task_id: int) -> dict[int, str]:
        """{pair_id: the latest decision} for the task."""
        return {int(r["pair_id"]): r["decision"] for r in self.adjudications(task_id)}

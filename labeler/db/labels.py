"""The `labels` table: one answer of one annotator about one pair, durable once acknowledged.

A label is acknowledged only after its transaction is committed to DuckDB's write-ahead log.
Concurrent submissions share one commit (group commit), so the flush to disk is paid once per
batch. `submission_id` is unique: resending the same label returns the stored row
(`created=False`), so a retry after a lost response writes nothing twice. A second live label of the
same person for the same pair is a Conflict. An undone label stays in the table, marked with when
and why (an audit trail), and counts nowhere; its author may then label the pair again.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import duckdb

from labeler.db.database import Database
from labeler.db.label_index import LabelIndex, pair_item
from labeler.errors import Conflict, Invalid, NotFound
from labeler.identifiers import check_name, check_submission_id

CHOICES = ("left", "right", "tie", "both_bad", "skip")


@dataclass
class _Request:
    """One label on its way into the database, filled in by whichever thread commits it."""

    submission_id: str
    pair_id: int
    annotator: str
    choice: str
    left_traj: str
    right_traj: str
    time_spent_ms: int | None
    playback_rate: float | None = None
    row: dict[str, Any] | None = None
    created: bool = False
    error: Exception | None = None
    done: bool = False


class LabelRepo:
    def __init__(self, db: Database, index: LabelIndex) -> None:
        self.db, self.index = db, index
        self._queue: list[_Request] = []  # labels waiting for the next group commit
        self._queue_lock = threading.Lock()

    def add(self, *, submission_id: str, pair_id: int, annotator: str, choice: str, left_traj: str,
            right_traj: str, time_spent_ms: int | None = None, playback_rate: float | None = None
            ) -> tuple[dict[str, Any], bool]:
        """Store one label; returns (label, created)."""
        check_submission_id(submission_id)
        if choice not in CHOICES:
            raise Invalid(f"invalid choice {choice!r}; expected one of {', '.join(CHOICES)}")
        if time_spent_ms is not None and not 0 <= int(time_spent_ms) <= 86_400_000:
            raise Invalid("time_spent_ms must be between 0 and 86400000")
        if playback_rate is not None and not 0.05 <= float(playback_rate) <= 16:
            raise Invalid("playback_rate must be between 0.05 and 16")
        req = _Request(submission_id, int(pair_id), check_name(annotator), choice, left_traj, right_traj,
                       None if time_spent_ms is None else int(time_spent_ms),
                       None if playback_rate is None else float(playback_rate))
        with self._queue_lock:
            self._queue.append(req)
        with self.db.lock:
            # Whoever holds the lock writes every label queued so far in one transaction (one disk
            # flush); the others then find theirs already done.
            if not req.done:
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                self._write(batch)
        if req.error is not None:
            raise req.error
        return req.row, req.created

    def _write(self, batch: list[_Request]) -> None:
        """Check and insert a batch in one transaction; on an unexpected error, retry one by one."""
        inserted: list[tuple[_Request, int]] = []
        try:
            with self.db.transaction():
                for req in batch:
                    try:
                        task_id = self._insert(req)
                        if req.created:
                            inserted.append((req, task_id))
                    except (Invalid, NotFound, Conflict) as exc:  # refused: nothing written for this one
                        req.error = exc
        except Exception as exc:  # noqa: BLE001 - isolate the culprit, keep the others
            if len(batch) > 1:
                for req in batch:
                    req.row, req.created, req.error = None, False, None
                    self._write([req])
                return
            batch[0].row, batch[0].created = None, False
            batch[0].error = Conflict(str(exc)) if isinstance(exc, duckdb.ConstraintException) else exc
            inserted = []
        for req, task_id in inserted:
            self.index.add_answer(task_id, pair_item(req.pair_id), req.annotator, req.choice == "skip")
        for req in batch:
            req.done = True

    def _insert(self, req: _Request) -> int:
        """The checks and the INSERT for one label inside the open transaction; returns the task id."""
        prior = self.db.one("SELECT * FROM labels WHERE submission_id = ?", [req.submission_id])
        if prior is not None:
            if (prior["pair_id"], prior["annotator"], prior["choice"], prior["left_traj"], prior["right_traj"]) != (
                    req.pair_id, req.annotator, req.choice, req.left_traj, req.right_traj):
                raise Conflict(f"submission id {req.submission_id!r} was already used for a different label")
            req.row, req.created = prior, False
            return -1
        pair = self.db.one(
            """SELECT task_id, traj_a, traj_b,
                 (SELECT id FROM labels l WHERE l.pair_id = p.id AND l.annotator = ? AND l.undone_at IS NULL) AS mine
               FROM pairs p WHERE id = ?""",
            [req.annotator, req.pair_id],
        )
        if pair is None:
            raise NotFound(f"no pair with id {req.pair_id}")
        if {req.left_traj, req.right_traj} != {pair["traj_a"], pair["traj_b"]} or req.left_traj == req.right_traj:
            raise Invalid(f"left_traj/right_traj must be the two trajectories of pair {req.pair_id} "
                          f"({pair['traj_a']!r}, {pair['traj_b']!r})")
        if pair["mine"] is not None:
            raise Conflict(f"annotator {req.annotator!r} already labelled pair {req.pair_id} (label {pair['mine']})")
        preferred = {"left": req.left_traj, "right": req.right_traj}.get(req.choice)
        req.row = self.db.one(
            """INSERT INTO labels (submission_id, pair_id, annotator, choice, left_traj, right_traj, preferred,
                 time_spent_ms, playback_rate) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *""",
            [req.submission_id, req.pair_id, req.annotator, req.choice, req.left_traj, req.right_traj, preferred,
             req.time_spent_ms, req.playback_rate],
        )
        req.created = True
        return int(pair["task_id"])

    # -- reading --------------------------------------------------------------------------------
    def list(self, task_id: int | None = None, annotator: str | None = None, after_id: int = 0,
             limit: int | None = 10_000, include_undone: bool = False) -> list[dict[str, Any]]:
        """Live labels in id order, joined with their pair's task, round, source and trajectories; page with
        `after_id`. limit=None reads them all (in-process callers; HTTP clients page); `include_undone` adds the
        undone ones (the audit trail: they have `undone_at`)."""
        where, params = self._filter(task_id, annotator)
        if not include_undone:
            where.append("l.undone_at IS NULL")
        where.append("l.id > ?")
        params.append(int(after_id))
        page = ""
        if limit is not None:
            page = "LIMIT ?"
            params.append(int(limit))
        return self.db.query(
            f"""SELECT l.*, p.task_id, p.round_id, p.traj_a, p.traj_b, p.source AS pair_source
                FROM labels l JOIN pairs p ON l.pair_id = p.id
                WHERE {' AND '.join(where)} ORDER BY l.id {page}""",
            params,
        )

    def count(self, task_id: int | None = None, annotator: str | None = None, include_skips: bool = True) -> int:
        where, params = self._filter(task_id, annotator)
        where.append("l.undone_at IS NULL")
        if not include_skips:
            where.append("l.choice <> 'skip'")
        return int(self.db.scalar(
            f"SELECT count(*) FROM labels l JOIN pairs p ON l.pair_id = p.id WHERE {' AND '.join(where)}", params))

    def get(self, submission_id: str) -> dict[str, Any]:
        row = self.db.one("SELECT l.*, p.task_id FROM labels l JOIN pairs p ON l.pair_id = p.id "
                          "WHERE l.submission_id = ?", [submission_id])
        if row is None:
            raise NotFound(f"no label with submission id {submission_id!r}")
        return row

    def undo(self, submission_id: str, reason: str) -> dict[str, Any]:
        """Mark a live label undone (kept for the record); its author may label the pair again."""
        with self.db.lock:
            row = self.get(submission_id)
            if row["undone_at"] is not None:
                return row
            self.db.execute("UPDATE labels SET undone_at = now(), undo_reason = ? WHERE submission_id = ?",
                            [str(reason)[:500], submission_id])
            self.index.remove_answer(int(row["task_id"]), pair_item(row["pair_id"]), row["annotator"])
            return self.get(submission_id)

    @staticmethod
    def _filter(task_id: int | None, annotator: str | None) -> tuple[list[str], list[Any]]:
        """WHERE terms over `labels l JOIN pairs p` for the optional task and annotator."""
        where, params = ["TRUE"], []
        if task_id is not None:
            where.append("p.task_id = ?")
            params.append(int(task_id))
        if annotator is not None:
            where.append("l.annotator = ?")
            params.append(annotator)
        return where, params

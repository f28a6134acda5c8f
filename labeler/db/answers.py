"""The `answers` table: one person's answer to one question (a grade; a best/worst pick or an order; a skip).

Like labels: acknowledged once committed, idempotent on `submission_id`, one live answer per (question,
person), undone answers kept and marked. What was shown where (`shown`), the playback speed and the
time spent are recorded with every answer.
"""
from __future__ import annotations

import json
from typing import Any

from labeler.db.database import Database
from labeler.db.label_index import LabelIndex, question_item
from labeler.errors import Conflict, NotFound
from labeler.identifiers import check_name, check_submission_id


def is_skip(alias: str = "a") -> str:
    """SQL: the answer row `alias` is a skip (a skip is not an answer: it counts nowhere but in one's own done)."""
    return f"coalesce(json_extract_string({alias}.answer, '$.skip'), 'false') = 'true'"


class AnswerRepo:
    def __init__(self, db: Database, index: LabelIndex) -> None:
        self.db, self.index = db, index

    def add(self, *, submission_id: str, question_id: int, annotator: str, answer: dict[str, Any],
            shown: list[str], time_spent_ms: int | None = None, playback_rate: float | None = None
            ) -> tuple[dict[str, Any], bool]:
        """Store one answer (already validated against its question by the caller); returns (row, created)."""
        check_submission_id(submission_id)
        who = check_name(annotator)
        payload, shown_json = json.dumps(answer, sort_keys=True), json.dumps(shown)
        with self.db.lock:  # the index changes under the same lock as the commit: a loader never sees half
            with self.db.transaction():
                prior = self.db.one("SELECT * FROM answers WHERE submission_id = ?", [submission_id])
                if prior is not None:
                    same = (prior["question_id"], prior["annotator"], json.dumps(prior["answer"], sort_keys=True)) == (
                        int(question_id), who, payload)
                    if not same:
                        raise Conflict(f"submission id {submission_id!r} was already used for a different answer")
                    return prior, False
                question = self.db.one("SELECT task_id FROM questions WHERE id = ?", [int(question_id)])
                if question is None:
                    raise NotFound(f"no question with id {question_id}")
                mine = self.db.scalar("SELECT id FROM answers WHERE question_id = ? AND annotator = ? "
                                      "AND undone_at IS NULL", [int(question_id), who])
                if mine is not None:
                    raise Conflict(f"annotator {who!r} already answered question {question_id} (answer {mine})")
                row = self.db.one(
                    """INSERT INTO answers (submission_id, question_id, annotator, answer, shown, playback_rate,
                         time_spent_ms) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *""",
                    [submission_id, int(question_id), who, payload, shown_json, playback_rate, time_spent_ms])
            self.index.add_answer(int(question["task_id"]), question_item(question_id), who, bool(answer.get("skip")))
        return row, True

    def get(self, submission_id: str) -> dict[str, Any]:
        row = self.db.one("SELECT a.*, q.task_id, q.round_id, q.mode, q.episodes FROM answers a "
                          "JOIN questions q ON a.question_id = q.id WHERE a.submission_id = ?", [submission_id])
        if row is None:
            raise NotFound(f"no answer with submission id {submission_id!r}")
        return row

    def list(self, task_id: int, include_undone: bool = False) -> list[dict[str, Any]]:
        """The task's answers with their question's round, mode and episodes, in id order."""
        live = "" if include_undone else "AND a.undone_at IS NULL"
        return self.db.query(f"""SELECT a.*, q.task_id, q.round_id, q.mode, q.episodes, q.source AS question_source
                                 FROM answers a JOIN questions q ON a.question_id = q.id
                                 WHERE q.task_id = ? {live} ORDER BY a.id""", [int(task_id)])

    def undo(self, submission_id: str, reason: str) -> dict[str, Any]:
        with self.db.lock:
            row = self.get(submission_id)
            if row["undone_at"] is None:
                self.db.execute("UPDATE answers SET undone_at = now(), undo_reason = ? WHERE submission_id = ?",
                                [str(reason)[:500], submission_id])
                self.index.remove_answer(int(row["task_id"]), question_item(row["question_id"]), row["annotator"])
            return self.get(submission_id)

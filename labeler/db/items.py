"""What the scheduler reads: every item of a task (pairs and questions) with its live answers, via the index."""
from __future__ import annotations

from labeler.db.answers import is_skip
from labeler.db.database import Database
from labeler.db.label_index import ItemStat, LabelIndex


class ItemRepo:
    def __init__(self, db: Database, index: LabelIndex) -> None:
        self.db, self.index = db, index

    def stats(self, task_id: int, annotator: str) -> list[ItemStat]:
        """Per item of the task: live answers so far and whether `annotator` has answered it."""
        task_id = int(task_id)
        if not self.index.loaded(task_id):
            with self.db.lock:  # writers hold this lock too, so nothing lands between the read and the load
                if not self.index.loaded(task_id):
                    self.index.load(task_id, self.db.tuples(
                        f"""SELECT 'p' || p.id, p.round_id, l.annotator, l.choice = 'skip'
                           FROM pairs p LEFT JOIN labels l ON l.pair_id = p.id AND l.undone_at IS NULL
                           WHERE p.task_id = ?
                           UNION ALL
                           SELECT 'q' || q.id, q.round_id, a.annotator, {is_skip()}
                           FROM questions q LEFT JOIN answers a ON a.question_id = q.id AND a.undone_at IS NULL
                           WHERE q.task_id = ?""",
                        [task_id, task_id],
                    ))
        return self.index.stats(task_id, annotator)

    def own_totals(self, task_id: int, annotator: str) -> tuple[int, float]:
        """(live answers, seconds spent on them) of one annotator on the task, labels and answers together."""
        row = self.db.tuples(
            f"""SELECT count(*), coalesce(sum(ms), 0) / 1000.0 FROM (
                 SELECT l.time_spent_ms AS ms FROM labels l JOIN pairs p ON l.pair_id = p.id
                 WHERE p.task_id = ? AND l.annotator = ? AND l.undone_at IS NULL AND l.choice <> 'skip'
                 UNION ALL
                 SELECT a.time_spent_ms FROM answers a JOIN questions q ON a.question_id = q.id
                 WHERE q.task_id = ? AND a.annotator = ? AND a.undone_at IS NULL AND NOT {is_skip()})""",
            [int(task_id), annotator, int(task_id), annotator])[0]
        return int(row[0]), float(row[1])

    def answer_times_ms(self, mode: str, task_id: int | None = None, k: int | None = None) -> list[float]:
        """Time spent on live answers of one feedback mode (skips excluded): what measured round sizes read.
        `k` keeps best-of-K answers over exactly k episodes; without `task_id`, every task's."""
        where_task = "AND p.task_id = ?" if task_id is not None else ""
        if mode == "pairwise":
            sql = f"""SELECT l.time_spent_ms FROM labels l JOIN pairs p ON l.pair_id = p.id
                      WHERE l.undone_at IS NULL AND l.choice <> 'skip' AND l.time_spent_ms IS NOT NULL
                        AND p.source <> 'ab_eval' {where_task}"""
            args = [int(task_id)] if task_id is not None else []
        else:
            sql = f"""SELECT a.time_spent_ms FROM answers a JOIN questions p ON a.question_id = p.id
                      WHERE a.undone_at IS NULL AND a.time_spent_ms IS NOT NULL AND p.mode = ?
                        AND NOT {is_skip()}
                        {"AND json_array_length(p.episodes) = ?" if k is not None else ""} {where_task}"""
            args = [mode] + ([int(k)] if k is not None else []) + ([int(task_id)] if task_id is not None else [])
        return [float(r[0]) for r in self.db.tuples(sql, args)]

"""An in-memory, write-through index of who answered which item: the scheduler's hot path.

Items are what an annotator is shown: a pair (`p<id>`, the pairs table) or a question of one or K
episodes (`q<id>`, the questions table). Choosing the next item needs, for every item of a task,
its answer count and whether this annotator has answered it. Aggregating the tables on every
request costs milliseconds that grow with them, under the store's lock. Because the app is the
only writer (DuckDB's single-owner rule), the store keeps this index exactly in step: it is loaded
from the database the first time a task is scheduled and updated after each committed insert or
undo, so it never holds anything the database does not.

It has its own lock so that reading it does not wait behind the store's lock, which a label
insert holds while its commit reaches the disk.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Iterable


def pair_item(pair_id: int) -> str:
    return f"p{int(pair_id)}"


def question_item(question_id: int) -> str:
    return f"q{int(question_id)}"


def item_number(item: str) -> int:
    return int(item[1:])


@dataclass(frozen=True)
class ItemStat:
    """What scheduling needs to know about one item, from one annotator's point of view."""

    item: str  # "p12" or "q7"
    round_id: int | None
    n_labels: int  # live answers other than skips, by anyone
    seen: bool  # this annotator answered (or skipped) it and has not undone that
    skipped: bool = False  # ... and that answer was a skip

    @property
    def pair_id(self) -> int:
        return item_number(self.item)


@dataclass
class _Entry:
    round_id: int | None
    n_labels: int = 0
    answers: dict[str, bool] = field(default_factory=dict)  # annotator -> whether the answer was a skip


class LabelIndex:
    def __init__(self) -> None:
        self._tasks: dict[int, dict[str, _Entry]] = {}
        self._lock = threading.Lock()

    def loaded(self, task_id: int) -> bool:
        return task_id in self._tasks

    def load(self, task_id: int, rows: Iterable[tuple[str, int | None, str | None, bool | None]]) -> None:
        """rows: (item, round_id, annotator, is_skip) with NULL annotator for unanswered items (live answers only)."""
        entries: dict[str, _Entry] = {}
        for item, round_id, annotator, skip in rows:
            entry = entries.setdefault(item, _Entry(round_id))
            if annotator is not None:
                _count(entry, annotator, bool(skip))
        with self._lock:
            self._tasks[task_id] = dict(sorted(entries.items(), key=lambda kv: (kv[0][0], item_number(kv[0]))))

    def add_item(self, task_id: int, item: str, round_id: int | None) -> None:
        with self._lock:
            if task_id in self._tasks:
                self._tasks[task_id][item] = _Entry(round_id)

    def add_answer(self, task_id: int, item: str, annotator: str, skip: bool) -> None:
        with self._lock:
            entry = self._tasks.get(task_id, {}).get(item)
            if entry is not None:
                _count(entry, annotator, skip)

    def remove_answer(self, task_id: int, item: str, annotator: str) -> None:
        with self._lock:
            entry = self._tasks.get(task_id, {}).get(item)
            if entry is not None and annotator in entry.answers:
                if not entry.answers.pop(annotator):
                    entry.n_labels -= 1

    def stats(self, task_id: int, annotator: str) -> list[ItemStat]:
        with self._lock:
            return [ItemStat(item, e.round_id, e.n_labels, annotator in e.answers, e.answers.get(annotator, False))
                    for item, e in self._tasks.get(task_id, {}).items()]


def _count(entry: _Entry, annotator: str, skip: bool) -> None:
    entry.answers[annotator] = skip
    if not skip:
        entry.n_labels += 1

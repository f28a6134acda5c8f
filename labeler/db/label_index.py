"""An in-memory, write-through index of who labelled which pair: the scheduler's hot path.

Why: choosing the next pair needs, for every pair of a task, its label count and whether
this annotator has seen it. Aggregating the labels table on every request costs
milliseconds that grow with the table, under the store's lock. Because the app is the
only writer (DuckDB's single-owner rule), the store can keep this index exactly in step:
it is loaded from the database the first time a task is scheduled and updated after each
committed insert, so it never holds anything the database does not.

It has its own lock so that reading it does not wait behind the store's lock, which a
label insert holds while its commit reaches the disk.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Iterable


@dataclass(frozen=True)
class PairStat:
    """What scheduling needs to know about one pair, from one annotator's point of view."""

    pair_id: int
    round_id: int | None
    n_labels: int  # labels other than skips, by anyone
    seen: bool  # this annotator already labelled (or skipped) it


@dataclass
class _Entry:
    round_id: int | None
    n_labels: int = 0
    annotators: set[str] = field(default_factory=set)


class LabelIndex:
    def __init__(self) -> None:
        self._tasks: dict[int, dict[int, _Entry]] = {}
        self._lock = threading.Lock()

    def loaded(self, task_id: int) -> bool:
        return task_id in self._tasks

    def load(self, task_id: int, rows: Iterable[tuple[int, int | None, str | None, str | None]]) -> None:
        """rows: (pair_id, round_id, annotator, choice) with NULL annotator/choice for unlabelled pairs."""
        entries: dict[int, _Entry] = {}
        for pair_id, round_id, annotator, choice in rows:
            entry = entries.setdefault(int(pair_id), _Entry(round_id))
            if annotator is not None:
                self._count(entry, annotator, choice)
        with self._lock:
            self._tasks[task_id] = dict(sorted(entries.items()))

    @staticmethod
    def _count(entry: _Entry, annotator: str, choice: str | None) -> None:
        entry.annotators.add(annotator)
        if choice != "skip":
            entry.n_labels += 1

    def add_pair(self, task_id: int, pair_id: int, round_id: int | None) -> None:
        with self._lock:
            if task_id in self._tasks:
                self._tasks[task_id][pair_id] = _Entry(round_id)

    def add_label(self, task_id: int, pair_id: int, annotator: str, choice: str) -> None:
        with self._lock:
            entry = self._tasks.get(task_id, {}).get(pair_id)
            if entry is not None:
                self._count(entry, annotator, choice)

    def stats(self, task_id: int, annotator: str) -> list[PairStat]:
        with self._lock:
            return [PairStat(pid, e.round_id, e.n_labels, annotator in e.annotators)
                    for pid, e in self._tasks.get(task_id, {}).items()]

"""What an annotator is served: the next item (scheduled and leased), their progress, taking and undoing answers.

An item is a pair (pairwise rounds), one episode (per_episode) or K episodes (best_of_k). Episodes are
shown in a random order, recorded with each answer. Tasks are blind unless their `hints` are on: then
annotators see no reward, success, achievement name or count, only the videos.
"""
from __future__ import annotations

import secrets
import threading
from typing import Any, Iterable, Mapping

from labeler.db.label_index import ItemStat, item_number, pair_item, question_item
from labeler.db.store import Store
from labeler.domain.answers import check_answer
from labeler.domain.episodes import episode_view
from labeler.domain.leases import Leases
from labeler.domain.preferences import AB_EVAL
from labeler.domain.scheduling import choose_next, progress
from labeler.errors import Conflict, Forbidden, NotFound
from labeler.identifiers import check_name


def task_for_annotators(task: Mapping[str, Any]) -> dict[str, Any]:
    """A task row (with its counts) as annotators see it: a blind task hides its achievement and description."""
    view = {k: task[k] for k in ("id", "name", "max_steps", "hints", "instructions", "n_items")}
    if task["hints"]:
        view.update(achievement=task["achievement"], description=task["description"])
    return view


class Annotating:
    def __init__(self, store: Store, leases: Leases, labels_per_pair: int) -> None:
        self.store, self.leases, self.k = store, leases, labels_per_pair
        self._schedule_lock = threading.Lock()  # pick + lease atomically: two people never race for the last slot

    def progress(self, task_id: int, annotator: str) -> dict[str, Any]:
        """Their own figures: answered, skipped, still open to them, and the time they spent answering."""
        self.store.tasks.get(task_id)
        who = check_name(annotator)
        answers, seconds = self.store.items.own_totals(task_id, who)
        return {**progress(self.store.items.stats(task_id, who), self.k).as_dict(), "answers": answers,
                "seconds": round(seconds, 1)}

    def next_item(self, task_id: int, annotator: str, exclude: Iterable[str] = (), client: str = "",
                  address: str = "", kinds: str = "pq") -> dict[str, Any]:
        """The item to show next (reserved for this annotator's tab) and their progress; item is None when done.

        `exclude` lists items the tab already holds (current, prefetched, unsent answers); `client` names the
        tab, so the person's other tabs are sent other items; `kinds` "p" limits it to pairs.
        """
        who = check_name(annotator)
        with self._schedule_lock:
            stats = [s for s in self.store.items.stats(task_id, who) if s.item[0] in kinds]
            excluded = set(exclude) | self.leases.held_in_other_tabs(who, client)
            pick = choose_next(stats, self.k, excluded, self.leases.held_by_others(who))
            if pick is not None:
                self.leases.hold(pick.item, who, client, address)
        if not stats:
            self.store.tasks.get(task_id)  # 404 for an unknown task; a known one simply has nothing yet
        return {"item": self.item_view(pick) if pick else None, "progress": progress(stats, self.k).as_dict()}

    def item_view(self, stat: ItemStat) -> dict[str, Any]:
        if stat.item[0] == "p":
            return self.pair_view(stat.pair_id)
        return self.question_view(item_number(stat.item))

    def pair_view(self, pair_id: int) -> dict[str, Any]:
        """The pair with its two episodes in a random order (the label records the order shown). A blind A/B
        evaluation pair stays blind on tasks with hints too: its outcomes would decide it for the person."""
        pair = self.store.pairs.detail(pair_id)
        task = self.store.tasks.get(pair["task_id"])
        hints = bool(task["hints"]) and pair["source"] != AB_EVAL
        sides = [pair["a"], pair["b"]]
        if secrets.randbelow(2):
            sides.reverse()
        view = {"kind": "pair", "item": pair_item(pair_id), "mode": "pairwise", "id": pair["id"],
                "task_id": pair["task_id"], "round_id": pair["round_id"], "max_steps": pair["max_steps"],
                "left": episode_view(sides[0], outcome=hints), "right": episode_view(sides[1], outcome=hints)}
        if hints:
            view["target"] = pair["achievement"]
        return view

    def question_view(self, question_id: int) -> dict[str, Any]:
        """One episode, or K of them in a random order (the answer records the order shown)."""
        q = self.store.questions.get(question_id)
        task = self.store.tasks.get(q["task_id"])
        episodes = list(q["episodes"])
        order = sorted(range(len(episodes)), key=lambda _: secrets.randbelow(1 << 30))
        views = [episode_view(self.store.trajectories.get(episodes[i]), outcome=task["hints"]) for i in order]
        view = {"kind": "episode" if q["mode"] == "per_episode" else "group", "item": question_item(question_id),
                "mode": q["mode"], "id": q["id"], "task_id": q["task_id"], "round_id": q["round_id"],
                "max_steps": task["max_steps"], "episodes": views}
        if task["hints"]:
            view["target"] = task["achievement"]
        return view

    # -- answers ------------------------------------------------------------------------------------
    def add_label(self, **label: Any) -> tuple[dict[str, Any], bool]:
        row, created = self.store.labels.add(**label)
        self.leases.release(pair_item(label["pair_id"]), row["annotator"])
        return row, created

    def add_answer(self, *, submission_id: str, question_id: int, annotator: str, answer: Mapping[str, Any],
                   shown: list[str], time_spent_ms: int | None = None, playback_rate: float | None = None
                   ) -> tuple[dict[str, Any], bool]:
        question = self.store.questions.get(question_id)
        clean = check_answer(question, dict(answer), shown)
        row, created = self.store.answers.add(submission_id=submission_id, question_id=question_id,
                                              annotator=annotator, answer=clean, shown=list(shown),
                                              time_spent_ms=time_spent_ms, playback_rate=playback_rate)
        self.leases.release(question_item(question_id), row["annotator"])
        return row, created

    def undo(self, submission_id: str, annotator: str) -> dict[str, Any]:
        """Take back one's own answer (a label or an answer to a question) until tuning has read it.

        The answer stays on record, marked undone; the item is open to its author again."""
        who = check_name(annotator)
        try:
            row, kind = self.store.labels.get(submission_id), "label"
        except NotFound:
            row, kind = self.store.answers.get(submission_id), "answer"
        if row["annotator"] != who:
            raise Forbidden("only its author can undo an answer")
        if row["undone_at"] is not None:
            return {"kind": kind, **row}
        tuned = [j for j in self.store.jobs.list(kind="tune", task_id=row["task_id"], limit=1)]
        if tuned and tuned[0]["created_at"] > row["created_at"]:
            raise Conflict("tuning has already used this answer; it can no longer be undone")
        reason = f"undone by {who}"
        undone = self.store.labels.undo(submission_id, reason) if kind == "label" else \
            self.store.answers.undo(submission_id, reason)
        return {"kind": kind, **undone}

"""What an annotator is served: the next pair (scheduled and leased), their progress, and taking their label."""
from __future__ import annotations

import secrets
import threading
from typing import Any, Iterable

from labeler.db.store import Store
from labeler.domain.episodes import episode_view
from labeler.domain.leases import Leases
from labeler.domain.scheduling import choose_next, progress
from labeler.identifiers import check_name


class Annotating:
    def __init__(self, store: Store, leases: Leases, labels_per_pair: int) -> None:
        self.store, self.leases, self.k = store, leases, labels_per_pair
        self._schedule_lock = threading.Lock()  # pick + lease atomically: two people never race for the last slot

    def progress(self, task_id: int, annotator: str) -> dict[str, int]:
        self.store.tasks.get(task_id)
        return progress(self.store.pairs.stats(task_id, check_name(annotator)), self.k).as_dict()

    def next_pair(self, task_id: int, annotator: str, exclude: Iterable[int] = (), client: str = "",
                  address: str = "") -> dict[str, Any]:
        """The pair to show next (reserved for this annotator's tab) and their progress; pair is None when done.

        `exclude` lists pairs the tab already holds (current, prefetched, unsent labels); `client` names the
        tab, so the person's other tabs are sent other pairs; `address` is where the request came from.
        """
        who = check_name(annotator)
        with self._schedule_lock:
            stats = self.store.pairs.stats(task_id, who)
            excluded = set(exclude) | self.leases.held_in_other_tabs(who, client)
            pick = choose_next(stats, self.k, excluded, self.leases.held_by_others(who))
            if pick is not None:
                self.leases.hold(pick.pair_id, who, client, address)
        if not stats:
            self.store.tasks.get(task_id)  # 404 for an unknown task; a known one simply has no pairs yet
        return {"pair": self.pair_view(pick.pair_id) if pick else None,
                "progress": progress(stats, self.k).as_dict()}

    def pair_view(self, pair_id: int) -> dict[str, Any]:
        """The pair with its two episodes in a random order (the label records the order shown)."""
        pair = self.store.pairs.detail(pair_id)
        sides = [pair["a"], pair["b"]]
        if secrets.randbelow(2):
            sides.reverse()
        return {"id": pair["id"], "task_id": pair["task_id"], "round_id": pair["round_id"],
                "target": pair["achievement"], "max_steps": pair["max_steps"],
                "left": episode_view(sides[0]), "right": episode_view(sides[1])}

    def add_label(self, **label: Any) -> tuple[dict[str, Any], bool]:
        row, created = self.store.labels.add(**label)
        self.leases.release(int(label["pair_id"]), row["annotator"])
        return row, created

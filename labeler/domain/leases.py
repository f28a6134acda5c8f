"""Items on someone's screen right now: leases that keep others from being sent an item beyond k.

A lease belongs to one annotator in one browser tab (`client`, an opaque id the page keeps per
tab), so a person's second tab is not sent the pair their first tab shows. Leases are bounded:
one annotator holds at most `per_annotator` and one network address at most `per_address` at a
time (the oldest goes first), so made-up names cannot reserve every pair. In memory: a restart
frees everything, and leases expire (people close tabs), so an abandoned pair returns to the pool.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable

PER_ANNOTATOR = 6  # a current and a prefetched pair in up to three tabs
PER_ADDRESS = 48  # a lab of people behind one address


@dataclass
class _Lease:
    item: str
    annotator: str
    client: str
    address: str
    expiry: float


class Leases:
    def __init__(self, ttl_s: float = 300.0, clock: Callable[[], float] = time.monotonic,
                 per_annotator: int = PER_ANNOTATOR, per_address: int = PER_ADDRESS) -> None:
        self.ttl_s = ttl_s
        self.per_annotator, self.per_address = per_annotator, per_address
        self._clock = clock
        self._leases: list[_Lease] = []  # oldest first
        self._lock = threading.Lock()

    def hold(self, item: str, annotator: str, client: str = "", address: str = "") -> None:
        """Reserve the pair for this annotator's tab (renewing an existing lease), within the bounds."""
        with self._lock:
            self._expire()
            self._leases = [x for x in self._leases
                            if not (x.item == item and x.annotator == annotator and x.client == client)]
            self._leases.append(_Lease(item, annotator, client, address, self._clock() + self.ttl_s))
            self._bound(lambda x: x.annotator == annotator, self.per_annotator)
            if address:
                self._bound(lambda x: x.address == address, self.per_address)

    def _bound(self, mine: Callable[[_Lease], bool], limit: int) -> None:
        held = [x for x in self._leases if mine(x)]
        for old in held[:max(0, len(held) - limit)]:
            self._leases.remove(old)

    def release(self, item: str, annotator: str) -> None:
        """The annotator answered the item: none of their tabs holds it any more."""
        with self._lock:
            self._leases = [x for x in self._leases if not (x.item == item and x.annotator == annotator)]

    def held_by_others(self, annotator: str) -> dict[str, int]:
        """item -> how many other people hold it now."""
        with self._lock:
            self._expire()
            out: dict[str, int] = {}
            for x in {(x.item, x.annotator) for x in self._leases if x.annotator != annotator}:
                out[x[0]] = out.get(x[0], 0) + 1
            return out

    def held_in_other_tabs(self, annotator: str, client: str) -> set[str]:
        """Items this annotator's other tabs hold (never sent to this tab as well)."""
        with self._lock:
            self._expire()
            return {x.item for x in self._leases if x.annotator == annotator and x.client != client}

    def _expire(self) -> None:
        now = self._clock()
        self._leases = [x for x in self._leases if x.expiry > now]

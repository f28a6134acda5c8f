"""Pairs on someone's screen right now: leases that keep others from being sent a pair beyond k.

In memory: a restart just frees everything, and leases expire (people close tabs), so an
abandoned pair returns to the pool.
"""
from __future__ import annotations

import threading
import time
from typing import Callable


class Leases:
    """pair id -> {annotator: expiry}; thread-safe, in memory (a restart just frees everything)."""

    def __init__(self, ttl_s: float = 300.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._held: dict[int, dict[str, float]] = {}
        self._lock = threading.Lock()

    def hold(self, pair_id: int, annotator: str) -> None:
        with self._lock:
            self._held.setdefault(pair_id, {})[annotator] = self._clock() + self.ttl_s

    def release(self, pair_id: int, annotator: str) -> None:
        with self._lock:
            holders = self._held.get(pair_id)
            if holders is not None:
                holders.pop(annotator, None)
                if not holders:
                    del self._held[pair_id]

    def held_by_others(self, annotator: str) -> dict[int, int]:
        now = self._clock()
        with self._lock:
            out: dict[int, int] = {}
            for pair_id, holders in list(self._held.items()):
                for who, expiry in list(holders.items()):
                    if expiry <= now:
                        del holders[who]
                    elif who != annotator:
                        out[pair_id] = out.get(pair_id, 0) + 1
                if not holders:
                    del self._held[pair_id]
            return out

"""Which pair an annotator sees next, and which pairs are built for labeling in the first place.

Rules (pure functions over `ItemStat`s from `store.items.stats`, plus leases, labeler.domain.leases); an item
is a pair or a question (one episode, or K):
- never offer a pair the annotator already labelled or skipped;
- each pair goes to at most k annotators: labels so far plus leases held by *other*
  people (pairs on someone's screen right now) must stay below k, so 50 people starting at
  once spread over different pairs instead of all labelling pair 1;
- among eligible pairs: newest round first (the current tuning round needs its labels),
  then the least-labelled, then the oldest pair.
Leases expire (people close tabs), so an abandoned pair returns to the pool.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from labeler.db.label_index import ItemStat, item_number


def eligible(stats: Sequence[ItemStat], k: int, exclude: Iterable[str] = (),
             leased_by_others: Mapping[str, int] | None = None) -> list[ItemStat]:
    excluded = set(exclude)
    leased = leased_by_others or {}
    return [s for s in stats
            if not s.seen and s.item not in excluded and s.n_labels + leased.get(s.item, 0) < k]


def choose_next(stats: Sequence[ItemStat], k: int, exclude: Iterable[str] = (),
                leased_by_others: Mapping[str, int] | None = None) -> ItemStat | None:
    """Newest round first, then the least answered, then the oldest item (which is the most uncertain first where
    a round orders its items by uncertainty)."""
    leased = leased_by_others or {}
    pool = eligible(stats, k, exclude, leased)
    if not pool:
        return None
    return min(pool, key=lambda s: (-(s.round_id or 0), s.n_labels + leased.get(s.item, 0), s.item[0],
                                    item_number(s.item)))


@dataclass(frozen=True)
class Progress:
    done: int  # items this annotator answered or skipped
    total: int  # done + items still open to this annotator
    pairs: int  # items in the task (pairs and questions)
    complete: int  # items that have k answers
    k: int
    skipped: int = 0  # of `done`, the skips (a skip is not an answer)

    def as_dict(self) -> dict[str, int]:
        return {"done": self.done, "total": self.total, "pairs": self.pairs, "complete": self.complete, "k": self.k,
                "skipped": self.skipped, "labelled": self.done - self.skipped}


def progress(stats: Sequence[ItemStat], k: int) -> Progress:
    done = sum(1 for s in stats if s.seen)
    open_ = sum(1 for s in stats if not s.seen and s.n_labels < k)
    return Progress(done=done, total=done + open_, pairs=len(stats),
                    complete=sum(1 for s in stats if s.n_labels >= k), k=k,
                    skipped=sum(1 for s in stats if s.seen and s.skipped))


def pairs_wanted(n: int, per_traj: int) -> int:
    """How many pairs `build_label_pairs` makes of n episodes: about `per_traj` per episode, never a pair twice."""
    return min(n * per_traj // 2, n * (n - 1) // 2)


def build_label_pairs(traj_ids: Sequence[str], per_traj: int = 4, seed: int = 0) -> list[tuple[str, str]]:
    """About `per_traj` comparisons per trajectory, no pair twice.

    Random matchings rather than all n(n-1)/2 pairs: labeling cost grows linearly with the
    batch, and every trajectory still appears in several comparisons (which is what a
    Bradley-Terry style consistency check or DPO needs).
    """
    ids = sorted(set(traj_ids))
    n = len(ids)
    if n < 2:
        return []
    rng = random.Random(seed)
    wanted = pairs_wanted(n, per_traj)
    seen: set[tuple[str, str]] = set()
    out: list[tuple[str, str]] = []
    for _ in range(10 * per_traj + 10):
        order = ids[:]
        rng.shuffle(order)
        for a, b in zip(order[0::2], order[1::2], strict=False):  # an odd one out waits
            key = (min(a, b), max(a, b))
            if key not in seen:
                seen.add(key)
                out.append(key)
                if len(out) >= wanted:
                    return out
    return out

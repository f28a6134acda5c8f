"""Preference pairs as the tuner sees them: trajectory rows, answer groups and weights; held-out splits.

Why splits by group: the pairs of one ranking are correlated; one of them in training and another
held out would make the held-out loss look better than it is. Why splits by episode for graded
pairs: one graded episode sits in many good x bad pairs, so any pair split leaks episodes into the
held-out set; holding out whole episodes (pairs straddling the two sides are dropped) keeps it honest.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Iterator, Literal, Mapping, Sequence

import numpy as np
import torch

from pgt_core.pairs import Pair, preference_rows
from pgt_core.trajectory import Trajectory

SplitBy = Literal["group", "episode"]


class TuningError(RuntimeError):
    """Tuning could not produce a usable result (non-finite loss, no usable pairs); keep the previous latent."""


@dataclass
class Items:
    """One row per usable pair: winner and loser trajectory rows, tie flag, group code, weight."""

    w: torch.Tensor
    lose: torch.Tensor
    tie: torch.Tensor
    group: torch.Tensor
    weight: torch.Tensor

    def __len__(self) -> int:
        return int(self.w.shape[0])

    def take(self, idx: np.ndarray | torch.Tensor) -> "Items":
        idx = torch.as_tensor(idx, dtype=torch.long)
        return Items(self.w[idx], self.lose[idx], self.tie[idx], self.group[idx], self.weight[idx])

    def rows(self) -> torch.Tensor:
        """Every trajectory row the items use."""
        return torch.unique(torch.cat([self.w, self.lose]))


def index_map(trajs: Sequence[Trajectory], pairs: Sequence[Pair]) -> Mapping[Hashable, int] | None:
    """None when pairs already hold list positions; else trajectory id (meta['id']) -> position."""
    if all(isinstance(p.i, (int, np.integer)) and isinstance(p.j, (int, np.integer)) for p in pairs):
        return None
    ids = {t.meta.get("id"): k for k, t in enumerate(trajs) if t.meta.get("id") is not None}
    missing = {x for p in pairs for x in (p.i, p.j) if x not in ids}
    if missing:
        raise TuningError(f"pairs refer to trajectories not given: {sorted(map(str, missing))[:5]}")
    return ids


def items_from_pairs(trajs: Sequence[Trajectory], pairs: Sequence[Pair], loss: str) -> Items:
    r = preference_rows(pairs, index_map(trajs, pairs), include_ties=(loss == "ipo"))
    if len(r) == 0:
        raise TuningError(f"no usable pairs for loss {loss!r} ({len(pairs)} pairs given; ties and both_bad "
                          "carry no DPO signal)")
    if max(int(r.winners.max()), int(r.losers.max())) >= len(trajs) or min(int(r.winners.min()),
                                                                           int(r.losers.min())) < 0:
        raise TuningError("a pair refers to a trajectory index outside the list")
    return Items(torch.from_numpy(r.winners), torch.from_numpy(r.losers), torch.from_numpy(r.ties),
                 torch.from_numpy(r.groups), torch.from_numpy(r.weights).float())


def _held_out_count(n: int, val_fraction: float) -> int:
    """round(n * val_fraction), at least one and leaving one when n >= 2 and val_fraction > 0."""
    if val_fraction <= 0 or n < 2:
        return 0
    return min(max(int(round(n * val_fraction)), 1), n - 1)


def split_items(items: Items, val_fraction: float, rng: np.random.Generator, split_by: SplitBy = "group"
                ) -> tuple[np.ndarray, np.ndarray]:
    """(train, held-out) item positions: whole groups, or whole episodes, held out at random.

    split_by="episode": a share of the episodes is held out; held-out pairs have both episodes
    held out, training pairs neither; pairs across the two are used by neither. When that leaves
    either side empty it falls back to the group split.
    """
    if split_by not in ("group", "episode"):
        raise ValueError(f"split_by must be 'group' or 'episode', got {split_by!r}")
    if split_by == "episode" and val_fraction > 0:
        eps = items.rows().numpy()
        held = set(rng.permutation(eps)[:_held_out_count(len(eps), val_fraction)].tolist())
        w_in = np.isin(items.w.numpy(), list(held))
        l_in = np.isin(items.lose.numpy(), list(held))
        train, val = np.flatnonzero(~w_in & ~l_in), np.flatnonzero(w_in & l_in)
        if len(train) and len(val):
            return train, val
    groups = np.unique(items.group.numpy())
    held_groups = rng.permutation(groups)[:_held_out_count(len(groups), val_fraction)]
    is_val = np.isin(items.group.numpy(), held_groups)
    return np.flatnonzero(~is_val), np.flatnonzero(is_val)


def group_batches(items: Items, batch_pairs: int | None, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Item positions per optimiser step, whole groups in random order, about `batch_pairs` pairs each
    (None: everything in one step)."""
    n = len(items)
    if not batch_pairs or batch_pairs >= n:
        yield rng.permutation(n)
        return
    codes = items.group.numpy()
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    members = np.split(order, bounds)
    batch: list[np.ndarray] = []
    size = 0
    for g in rng.permutation(len(members)):
        batch.append(members[g])
        size += len(members[g])
        if size >= batch_pairs:
            yield np.concatenate(batch)
            batch, size = [], 0
    if batch:
        yield np.concatenate(batch)

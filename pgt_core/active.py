"""Active pair selection: ask people about the pairs the current latent is least sure of.

Why: labels are the scarce resource in PGT. DPO's implicit reward of a rollout under the
latent z being tuned is r(tau) = beta * (log pi(tau | z) - log pi(tau | z0)); for a pair the
implicit preference is sigmoid(r_i - r_j). Pairs whose margin |r_i - r_j| is large are
ones the current latent already ranks firmly (a label there mostly confirms, and its DPO
gradient is small once the ranking is right); pairs with a margin near 0 are where a
label moves z the most (uncertainty sampling). At z = z0 every margin is 0, so the first
batch of a task is uniform: active selection needs a first tuned latent to work with.

Uses the cached log-prob path (`pgt_core.logprob.FeatureCache`) when the policy allows it:
scoring thousands of candidate pairs costs two head passes over N trajectories.

For the app: the worker computes `implicit_rewards` of a round's episodes; `order_pairs` and
`least_certain_groups` then work on plain {episode id: reward} maps, so the app can offer the
least certain comparisons (pairwise) or K-groups (best-of-K) first without the policy.
"""
from __future__ import annotations

from itertools import combinations
from typing import Hashable, Mapping, Sequence

import numpy as np
import torch

from pgt_core.logprob import FeatureCache, trajectory_logprobs
from pgt_core.trajectory import Trajectory

IndexPair = tuple[int, int]


def all_pairs(n: int) -> list[IndexPair]:
    """Every unordered pair (i < j) of n trajectories: the default candidate set."""
    return list(combinations(range(n), 2))


@torch.no_grad()
def implicit_rewards(policy: torch.nn.Module, trajs: Sequence[Trajectory], z: torch.Tensor, z0: torch.Tensor, *,
                     beta: float = 0.1, cache: FeatureCache | None = None) -> np.ndarray:
    """beta * (log pi(tau_i | z) - log pi(tau_i | z0)) for every trajectory, float64 [N]."""
    z, z0 = z.detach().float().reshape(-1), z0.detach().float().reshape(-1)
    if cache is not None:
        lp, lp0 = cache.logprobs(policy, z), cache.logprobs(policy, z0)
    else:
        lp, lp0 = trajectory_logprobs(policy, trajs, z), trajectory_logprobs(policy, trajs, z0)
    return (beta * (lp.double() - lp0.double())).cpu().numpy()


def pair_margins(rewards: np.ndarray, candidates: Sequence[IndexPair]) -> np.ndarray:
    """DPO implicit margin r_i - r_j of each candidate (i, j) (i preferred when positive)."""
    if len(candidates) == 0:
        return np.zeros(0)
    idx = np.asarray(candidates, dtype=np.int64)
    return rewards[idx[:, 0]] - rewards[idx[:, 1]]


def least_certain(margins: np.ndarray, k: int, *, explore: float = 0.0,
                  rng: np.random.Generator | int | None = None, decimals: int = 9) -> np.ndarray:
    """Indices of k candidates: smallest |margin| first (ties in random order), a share `explore` uniform.

    explore in [0, 1]: round(k * explore) of the k picks are drawn uniformly from the
    candidates not already picked, so a poorly calibrated latent cannot starve whole regions
    of pair space. Margins equal to `decimals` places count as ties.
    """
    if not 0.0 <= explore <= 1.0:
        raise ValueError("explore must be in [0, 1]")
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    n = len(margins)
    k = min(int(k), n)
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    n_explore = int(round(k * explore))
    order = np.lexsort((rng.random(n), np.round(np.abs(margins), decimals)))
    chosen = order[:k - n_explore]
    if n_explore:
        rest = order[k - n_explore:]
        chosen = np.concatenate([chosen, rng.choice(rest, size=n_explore, replace=False)])
    return chosen.astype(np.int64)


def select_pairs(policy: torch.nn.Module, trajs: Sequence[Trajectory], z: torch.Tensor, z0: torch.Tensor, k: int, *,
                 candidates: Sequence[IndexPair] | None = None, beta: float = 0.1, explore: float = 0.0,
                 cache: FeatureCache | None = None, rng: np.random.Generator | int | None = None
                 ) -> list[tuple[int, int, float]]:
    """The k candidate pairs the latent z is least certain about, as (i, j, margin), least certain first.

    candidates: index pairs into `trajs` (default: all pairs). cache: a FeatureCache of exactly
    `trajs`; built here when None and the policy caches (`z_enters_late`), else the generic path.
    """
    candidates = list(candidates) if candidates is not None else all_pairs(len(trajs))
    if cache is None and getattr(policy, "z_enters_late", False) and trajs:
        cache = FeatureCache.build(policy, trajs)
    margins = pair_margins(implicit_rewards(policy, trajs, z, z0, beta=beta, cache=cache), candidates)
    picked = least_certain(margins, k, explore=explore, rng=rng)
    return [(int(candidates[p][0]), int(candidates[p][1]), float(margins[p])) for p in picked]


def order_pairs(rewards: Mapping[Hashable, float], candidates: Sequence[tuple[Hashable, Hashable]],
                k: int | None = None, *, explore: float = 0.0, rng: np.random.Generator | int | None = None
                ) -> list[tuple[Hashable, Hashable]]:
    """The candidate pairs (episode ids) least certain under the implicit rewards first (k of them, or all).

    rewards: episode id -> implicit reward (`implicit_rewards`), all 0 before any tuning (uniform order).
    """
    if not candidates:
        return []
    margins = np.array([rewards[a] - rewards[b] for a, b in candidates], dtype=np.float64)
    picked = least_certain(margins, len(candidates) if k is None else k, explore=explore, rng=rng)
    return [candidates[int(p)] for p in picked]


def least_certain_groups(rewards: Mapping[Hashable, float], size: int, n_groups: int, *,
                         explore: float = 0.0, rng: np.random.Generator | int | None = None
                         ) -> list[tuple[Hashable, ...]]:
    """Up to `n_groups` disjoint K-groups of episodes whose implicit rewards are closest: least certain first.

    Greedy: among the episodes left, sorted by implicit reward, the run of `size` consecutive ones
    with the smallest spread (max - min) is the next group (ties in random order). A share
    `explore` of the groups is drawn uniformly from the episodes left instead. With all rewards
    equal (before any tuning) the groups are uniform.
    """
    if size < 2:
        raise ValueError("a group needs at least two episodes")
    if not 0.0 <= explore <= 1.0:
        raise ValueError("explore must be in [0, 1]")
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    ids = list(rewards)
    n_groups = min(n_groups, len(ids) // size)
    if n_groups <= 0:
        return []
    n_explore = int(round(n_groups * explore))
    values = np.array([rewards[i] for i in ids], dtype=np.float64)
    left = list(np.lexsort((rng.random(len(ids)), values)))  # by reward, ties shuffled
    chosen: list[list[int]] = []
    for _ in range(n_groups - n_explore):
        v = values[left]
        spread = np.round(v[size - 1:] - v[:len(v) - size + 1], 9)
        start = int(rng.choice(np.flatnonzero(spread == spread.min())))
        chosen.append(left[start:start + size])
        del left[start:start + size]
    if n_explore:
        rest = rng.permutation(left)
        chosen += [list(rest[s:s + size]) for s in range(0, n_explore * size, size)]
    return [tuple(ids[int(x)] for x in r) for r in chosen]

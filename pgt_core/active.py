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
"""
from __future__ import annotations

from itertools import combinations
from typing import Sequence

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

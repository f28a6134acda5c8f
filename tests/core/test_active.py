"""Active pair selection: least-certain picks by |DPO implicit margin|, cached and generic paths agree."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from pgt_core.active import all_pairs, implicit_rewards, least_certain, pair_margins, select_pairs
from pgt_core.logprob import FeatureCache
from pgt_core.losses import dpo_loss
from pgt_core.policy.checkpoint import Foundation
from pgt_core.rollout import collect_rollouts
from pgt_core.tasks import Task

torch.set_num_threads(1)


def test_least_certain_orders_by_absolute_margin_and_breaks_ties_randomly():
    margins = np.array([0.5, -0.01, 2.0, 0.0, -0.3, 0.0])
    picked = least_certain(margins, 3, rng=0)
    assert set(picked[:2]) == {3, 5} and picked[2] == 1
    firsts = {int(least_certain(np.zeros(4), 1, rng=s)[0]) for s in range(20)}
    assert len(firsts) > 1  # ties go in random order
    assert len(least_certain(margins, 10)) == 6 and len(least_certain(margins, 0)) == 0
    mixed = least_certain(margins, 4, explore=0.5, rng=1)
    assert set(mixed[:2]) == {3, 5} and len(set(mixed)) == 4
    with pytest.raises(ValueError):
        least_certain(margins, 2, explore=1.5)


def test_pair_margins_and_all_pairs():
    assert all_pairs(3) == [(0, 1), (0, 2), (1, 2)]
    r = np.array([0.1, -0.2, 0.4])
    assert np.allclose(pair_margins(r, [(0, 1), (2, 0)]), [0.3, 0.3])


@pytest.fixture(scope="module")
def rollouts():
    foundation = Foundation.untrained(seed=1)
    task = Task("short_wood", "collect_wood", 12, "")
    z0 = foundation.prompt_latent("collect_wood")
    trajs = collect_rollouts(foundation.policy, z0, task, list(range(40, 46)), batch_size=6)
    return foundation.policy, trajs, z0


def test_margins_are_the_dpo_implicit_margin_on_both_paths(rollouts):
    policy, trajs, z0 = rollouts
    z = z0 + 0.5 * torch.randn(z0.shape, generator=torch.Generator().manual_seed(0))
    cache = FeatureCache.build(policy, trajs)
    cached = implicit_rewards(policy, trajs, z, z0, beta=0.1, cache=cache)
    generic = implicit_rewards(policy, trajs, z, z0, beta=0.1)
    assert np.allclose(cached, generic, atol=1e-4)
    assert np.allclose(implicit_rewards(policy, trajs, z0, z0, cache=cache), 0.0)
    # the margin of (i, j) is what dpo_loss reports for i preferred over j
    lp, lp0 = cache.logprobs(policy, z), cache.logprobs(policy, z0)
    _, metrics = dpo_loss(lp[:1], lp[1:2], lp0[:1], lp0[1:2], beta=0.1)
    assert pair_margins(cached, [(0, 1)])[0] == pytest.approx(metrics["margin"], abs=1e-4)


def test_select_pairs_returns_the_least_certain_candidates(rollouts):
    policy, trajs, z0 = rollouts
    z = z0 + torch.randn(z0.shape, generator=torch.Generator().manual_seed(1))
    picked = select_pairs(policy, trajs, z, z0, 4, rng=0)
    assert len(picked) == 4 and len({(i, j) for i, j, _ in picked}) == 4
    rewards = implicit_rewards(policy, trajs, z, z0)
    all_abs = np.sort(np.abs(pair_margins(rewards, all_pairs(len(trajs)))))
    assert np.allclose(sorted(abs(m) for _, _, m in picked), all_abs[:4], atol=1e-6)
    only = select_pairs(policy, trajs, z, z0, 5, candidates=[(0, 1), (2, 3)], rng=0)
    assert {(i, j) for i, j, _ in only} == {(0, 1), (2, 3)}


def test_order_pairs_puts_the_least_certain_comparisons_first():
    from pgt_core.active import order_pairs

    rewards = {"a": 0.0, "b": 0.05, "c": 1.0, "d": -1.0}
    order = order_pairs(rewards, [("a", "c"), ("a", "b"), ("c", "d"), ("b", "d")], rng=0)
    assert order[0] == ("a", "b") and order[-1] == ("c", "d")
    assert order_pairs(rewards, [("a", "c"), ("a", "b")], k=1) == [("a", "b")] and order_pairs(rewards, []) == []


def test_least_certain_groups_are_disjoint_and_tightest_first():
    from pgt_core.active import least_certain_groups

    rewards = {k: float(v) for k, v in enumerate([0.0, 5.0, 0.1, 9.0, 5.1, 0.2, 9.5, 5.05, 3.0])}
    groups = least_certain_groups(rewards, 3, 3, rng=0)
    assert [set(g) for g in groups[:2]] == [{1, 4, 7}, {0, 2, 5}] and len(groups) == 3
    assert len({x for g in groups for x in g}) == 9
    mixed = least_certain_groups(rewards, 3, 3, explore=0.34, rng=1)
    assert set(mixed[0]) == {1, 4, 7} and len({x for g in mixed for x in g}) == 9
    uniform = {tuple(least_certain_groups(dict.fromkeys(range(8), 0.0), 4, 1, rng=s)[0]) for s in range(10)}
    assert len(uniform) > 1  # equal rewards (before any tuning): random groups
    with pytest.raises(ValueError):
        least_certain_groups(rewards, 1, 2)

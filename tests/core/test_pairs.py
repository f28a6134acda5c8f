"""Pairs from rewards (order, cap, sampling) and the synthetic teacher's noise rates."""
import itertools

import numpy as np
import pytest

from pgt_core.pairs import Pair, SyntheticTeacher, pairs_from_rewards


def test_all_ordered_pairs_with_a_strictly_higher_reward():
    rewards = [0.0, 1.2, 0.0, 1.5, 1.2]
    pairs = pairs_from_rewards(rewards)
    expected = {(i, j) for i, j in itertools.permutations(range(5), 2) if rewards[i] > rewards[j]}
    assert {(p.i, p.j) for p in pairs} == expected and len(pairs) == len(expected) == 8
    assert all(p.label == "left" and p.preferred == p.i and p.rejected == p.j for p in pairs)
    assert pairs_from_rewards([1.0, 1.0]) == []


def test_the_cap_samples_uniformly_without_replacement_and_is_seeded():
    rewards = np.arange(30, dtype=float)  # 435 ordered pairs
    full = {(p.i, p.j) for p in pairs_from_rewards(rewards)}
    capped = pairs_from_rewards(rewards, max_pairs=100, rng=1)
    keys = [(p.i, p.j) for p in capped]
    assert len(keys) == len(set(keys)) == 100 and set(keys) <= full
    assert keys == [(p.i, p.j) for p in pairs_from_rewards(rewards, 100, np.random.default_rng(1))]
    assert keys != [(p.i, p.j) for p in pairs_from_rewards(rewards, 100, 2)]
    # uniform: each ordered pair is kept with probability 100/435
    hits = np.zeros(435)
    index = {k: n for n, k in enumerate(sorted(full))}
    for seed in range(200):
        for p in pairs_from_rewards(rewards, 100, seed):
            hits[index[(p.i, p.j)]] += 1
    assert abs(hits.mean() / 200 - 100 / 435) < 1e-9 and hits.std() / 200 < 0.06


def test_pair_record():
    p = Pair("t1", "t2", "right")
    assert p.preferred == "t2" and p.rejected == "t1" and p.decisive
    assert Pair.from_dict(p.to_dict()) == p
    assert Pair(1, 2, "tie").preferred is None and not Pair(1, 2, "both_bad").decisive
    with pytest.raises(ValueError, match="label"):
        Pair(1, 2, "maybe")
    with pytest.raises(ValueError, match="two different"):
        Pair(3, 3)


def test_teacher_flip_rate_ties_and_both_bad():
    rng = np.random.default_rng(0)
    rewards = rng.uniform(0.5, 2.0, 3000)
    index_pairs = [(2 * k, 2 * k + 1) for k in range(1500)]
    for flip in (0.0, 0.2):
        t = SyntheticTeacher(flip_prob=flip, seed=3)
        pairs = t.label_pairs(rewards, index_pairs)
        wrong = np.mean([(p.label == "left") != (rewards[p.i] > rewards[p.j]) for p in pairs])
        assert abs(wrong - flip) < 3 * np.sqrt(0.2 * 0.8 / 1500) + 1e-9
    t = SyntheticTeacher(tie_margin=0.1, seed=0, both_bad=True)
    assert t.label(1.0, 1.05) == "tie" and t.label(1.0, 1.2) == "right" and t.label(1.3, 1.0) == "left"
    assert t.label(0.0, 0.0) == "both_bad" and SyntheticTeacher().label(0.0, 0.0) == "tie"
    with pytest.raises(ValueError):
        SyntheticTeacher(flip_prob=1.5)


def test_teacher_samples_distinct_unordered_pairs_in_random_sides():
    rewards = np.linspace(0, 1, 12)
    pairs = SyntheticTeacher(seed=1).sample_pairs(rewards, 1000)
    keys = [frozenset((p.i, p.j)) for p in pairs]
    assert len(pairs) == 66 == len(set(keys))  # all C(12, 2), each once
    assert 15 < sum(p.i < p.j for p in pairs) < 51
    assert all((p.label == "left") == (rewards[p.i] > rewards[p.j]) for p in pairs)
    assert len(SyntheticTeacher(seed=1).sample_pairs(rewards, 10)) == 10

"""The guard: unguarded tuning drifts far, guarded tuning never leaves its behavioural / L2 bound."""
import numpy as np
import pytest
import torch

from pgt_core.guard import NO_GUARD, BehaviourMeter, Guard
from pgt_core.logprob import FeatureCache
from pgt_core.pairs import pairs_from_rewards
from pgt_core.tuning import DEFAULT_GUARD, tune_latent
from tests.support.fakes import fake_rollouts

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def data():
    policy, trajs, z0 = fake_rollouts(40)
    rewards = [float(np.mean(t.actions == 5)) for t in trajs]
    return policy, trajs, pairs_from_rewards(rewards, max_pairs=300, rng=0), z0


def _kl_on_every_step(policy, trajs, z, z0):
    cache = FeatureCache.build(policy, trajs)
    meter = BehaviourMeter.build(policy, trajs, range(len(trajs)), z0, cache=cache, sample_steps=10 ** 9)
    return meter.kl(z)


def test_unguarded_tuning_drifts_far_and_the_guard_holds_its_kl_limit(data):
    policy, trajs, pairs, z0 = data
    for cached, epochs in ((True, 30), (False, 4)):  # the generic path too (policies that mix z in early)
        free = tune_latent(policy, trajs, pairs, z0, epochs=epochs, lr=0.1, guard=NO_GUARD)
        limit = free.kl / 10
        assert free.kl > 0.005 and free.guard_steps == 0
        held = tune_latent(policy, trajs, pairs, z0, epochs=epochs, lr=0.1, guard=Guard(max_kl=limit),
                           cached=cached)
        assert all(h.kl <= limit * (1 + 1e-6) for h in held.history)
        assert held.kl <= limit * (1 + 1e-6) and held.guard_steps > 0 and "pulled z back" in held.diagnosis
        assert _kl_on_every_step(policy, trajs, held.z, z0) <= limit * 1.05  # sampled steps are all steps here
        assert held.drift.l2 < free.final_drift.l2 and held.best_epoch > 0  # it still tunes, within the bound


def test_the_l2_guard_keeps_z_in_its_ball(data):
    policy, trajs, pairs, z0 = data
    radius = 0.05 * float(z0.norm())
    res = tune_latent(policy, trajs, pairs, z0, epochs=20, lr=0.1, guard=Guard(max_kl=None, max_l2=0.05))
    assert all(h.z_l2 <= radius * (1 + 1e-5) for h in res.history) and res.final_drift.l2 > radius * 0.9
    assert float((res.z - z0).norm()) <= radius * (1 + 1e-5)


def test_tune_latent_is_guarded_by_default(data):
    policy, trajs, pairs, z0 = data
    res = tune_latent(policy, trajs, pairs, z0, epochs=30, lr=0.1)
    assert res.guard == DEFAULT_GUARD and res.kl <= DEFAULT_GUARD.max_kl * (1 + 1e-6)
    assert res.to_dict()["guard"]["max_kl"] == DEFAULT_GUARD.max_kl

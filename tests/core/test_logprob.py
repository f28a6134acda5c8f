"""Trajectory log-probs: the cached-feature path equals the generic path, and both match stepping."""
import pytest
import torch
import torch.nn.functional as F

from pgt_core.logprob import FeatureCache, trajectory_logprobs
from pgt_core.policy.model import GoalConditionedPolicy
from pgt_core.rollout import collect_rollouts
from tests.support.fakes import SHORT_WOOD, FakeEnv, fake_rollouts

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def setup():
    policy, trajs, z = fake_rollouts(9, batch_size=4)
    assert len({t.length for t in trajs}) > 3  # variable lengths exercise padding and masks
    return policy, trajs, z


def test_cached_and_generic_paths_give_the_same_numbers(setup):
    policy, trajs, z = setup
    cache = FeatureCache.build(policy, trajs, batch_size=4)
    z2 = z + 0.3 * torch.randn(z.shape, generator=torch.Generator().manual_seed(0))
    for latent in (z, z2):
        generic = trajectory_logprobs(policy, trajs, latent, batch_size=3)
        cached = trajectory_logprobs(policy, trajs, latent, cached=cache)
        assert generic.shape == (len(trajs),) and torch.all(generic < 0)
        assert torch.allclose(cached, generic, atol=1e-4, rtol=0)
    assert torch.allclose(cache.logprobs(policy, z, [4, 1]), cache.logprobs(policy, z)[[4, 1]], atol=1e-5)


def test_log_prob_is_the_sum_of_per_step_action_log_probs(setup):
    policy, trajs, z = setup
    t = trajs[3]
    state, total = None, 0.0
    for step in range(t.length):
        logits, state = policy.act_logits(torch.from_numpy(t.frames[step:step + 1]), z[None], state)
        total += float(F.log_softmax(logits, -1)[0, t.actions[step]])
    assert abs(float(trajectory_logprobs(policy, [t], z)[0]) - total) < 1e-4


def test_gradients_wrt_z_agree_and_per_trajectory_latents_work(setup):
    policy, trajs, z = setup
    cache = FeatureCache.build(policy, trajs)
    grads = []
    for cached in (cache, None):
        zz = z.clone().requires_grad_(True)
        trajectory_logprobs(policy, trajs, zz, cached=cached).sum().backward()
        grads.append(zz.grad)
    assert torch.allclose(grads[0], grads[1], atol=1e-4)
    per = torch.stack([z] * len(trajs))
    assert torch.allclose(trajectory_logprobs(policy, trajs, per, cached=cache),
                          trajectory_logprobs(policy, trajs, z), atol=1e-4)


def test_policies_that_mix_z_in_early_must_use_the_generic_path(setup):
    _, trajs, z = setup

    class EarlyZ(GoalConditionedPolicy):
        z_enters_late = False

    early = EarlyZ().eval()
    with pytest.raises(ValueError, match="cannot be cached"):
        FeatureCache.build(early, trajs)
    late_cache = FeatureCache.build(setup[0], trajs)
    with pytest.raises(ValueError, match="generic path"):
        trajectory_logprobs(early, trajs, z, cached=late_cache)
    assert torch.isfinite(trajectory_logprobs(early, trajs, z)).all()


def test_outcome_only_records_are_refused(setup):
    policy, _, z = setup
    bare = collect_rollouts(policy, z, SHORT_WOOD, [1], env_factory=FakeEnv, keep_frames=False)
    with pytest.raises(ValueError, match="keep_frames"):
        trajectory_logprobs(policy, bare, z)

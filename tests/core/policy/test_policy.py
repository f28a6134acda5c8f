"""The foundation policy: shapes, finiteness, the late-z property, and the shipped checkpoint."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from pgt_core.policy.checkpoint import DEFAULT_CHECKPOINT, Foundation, load_foundation, save_foundation
from pgt_core.policy.model import GoalConditionedPolicy
from pgt_core.tasks import CRAFTER_TASKS

torch.set_num_threads(1)


def _frames(b, t, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (b, t, 64, 64, 3), dtype=torch.uint8, generator=g)


def test_action_logprobs_have_the_right_shape_and_are_finite():
    policy = GoalConditionedPolicy().eval()
    z = policy.encode_goal(_frames(2, 16, seed=1))
    assert z.shape == (2, 512)
    logits, state = policy(_frames(2, 7), z)
    logp = F.log_softmax(logits, -1)
    assert logp.shape == (2, 7, 17) and torch.isfinite(logp).all()
    assert torch.allclose(logp.exp().sum(-1), torch.ones(2, 7), atol=1e-5)
    assert state.shape == (1, 2, 256)


def test_features_do_not_depend_on_z_and_stepping_matches_the_sequence():
    policy = GoalConditionedPolicy().eval()
    frames = _frames(1, 5)
    z1, z2 = torch.randn(1, 512), torch.randn(1, 512)
    feats, _ = policy.frame_features(frames)
    full, _ = policy(frames, z1)
    assert torch.allclose(policy.head_logits(feats, z1), full, atol=1e-5)
    assert not torch.allclose(policy.head_logits(feats, z2), full)
    state, steps = None, []
    for t in range(5):
        logits, state = policy.act_logits(frames[:, t], z1, state)
        steps.append(logits)
    assert torch.allclose(torch.stack(steps, 1), full, atol=1e-5)


def test_bundle_round_trip_freezes_the_policy(tmp_path):
    f = Foundation.untrained(seed=3)
    path = save_foundation(tmp_path / "f.pt", f)
    back = load_foundation(path)
    assert set(back.prompts) == set(f.prompts)
    assert all(not p.requires_grad for p in back.policy.parameters())
    assert not back.policy.training
    z = back.prompt_latent("collect_wood")
    assert z.shape == (512,) and torch.isfinite(z).all()
    with pytest.raises(KeyError, match="no prompt clip"):
        back.prompt_latent("nope")
    with pytest.raises(ValueError, match="prompt clip must be"):
        back.encode_clip(np.zeros((4, 64, 64)))
    with pytest.raises(FileNotFoundError, match="pgt_core.policy.train"):
        load_foundation(tmp_path / "missing.pt")


@pytest.mark.skipif(not DEFAULT_CHECKPOINT.exists(), reason="shipped checkpoint not built yet")
def test_shipped_checkpoint_loads_with_prompts_for_every_task():
    f = load_foundation()
    assert DEFAULT_CHECKPOINT.stat().st_size < 20e6
    assert set(CRAFTER_TASKS) <= set(f.prompts)
    assert {"trained_with", "demo_seeds", "prompt_seeds"} <= set(f.meta)
    latents = torch.stack([f.prompt_latent(t) for t in CRAFTER_TASKS])
    assert torch.isfinite(latents).all()
    # different tasks' prompts must give different goals
    assert torch.cdist(latents, latents).fill_diagonal_(1e9).min() > 1e-3

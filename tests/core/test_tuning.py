"""Latent tuning: the policy stays bit-identical, the loss goes down, NaN stops it; the baselines."""
import math

import numpy as np
import pytest
import torch

from pgt_core.logprob import FeatureCache, trajectory_logprobs
from pgt_core.pairs import Pair, pairs_from_rewards
from pgt_core.tuning import TuningError, finetune_policy, tune_latent
from tests.support.fakes import fake_rollouts

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def data():
    policy, trajs, z0 = fake_rollouts(40)
    # a synthetic preference: more 'do' actions (5) per step is better
    rewards = [float(np.mean(t.actions == 5)) for t in trajs]
    pairs = pairs_from_rewards(rewards, max_pairs=300, rng=0)
    return policy, trajs, pairs, z0, rewards


def _snapshot(policy):
    return {k: v.clone() for k, v in policy.state_dict().items()}


def test_tuning_moves_only_z_and_leaves_the_policy_bit_identical(data):
    policy, trajs, pairs, z0, _ = data
    before = _snapshot(policy)
    policy.head[0].weight.requires_grad_(True)  # even a weight that asks for gradients stays put
    for cached in (True, False):
        res = tune_latent(policy, trajs, pairs, z0, epochs=3, lr=0.05, cached=cached)
        assert not torch.equal(res.z, z0)
    after = policy.state_dict()
    assert before.keys() == after.keys() and all(torch.equal(before[k], after[k]) for k in before)
    assert all(p.grad is None for p in policy.parameters())
    assert policy.head[0].weight.requires_grad and not policy.head[2].weight.requires_grad
    policy.head[0].weight.requires_grad_(False)


def test_dpo_lowers_the_loss_and_raises_the_preferred_likelihood(data):
    policy, trajs, pairs, z0, rewards = data
    res = tune_latent(policy, trajs, pairs, z0, epochs=40, lr=0.05, seed=1, val_fraction=0.2)
    h = res.history
    assert h[0].train_loss == pytest.approx(math.log(2), abs=1e-5) and h[0].epoch == 0
    assert len(h) == 41 and res.n_train + res.n_val == len(pairs) and res.n_val == 60
    assert h[-1].train_loss < h[0].train_loss - 0.02
    assert res.best_epoch > 0 and res.best_val_loss == min(e.val_loss for e in h) < math.log(2)
    assert h[res.best_epoch].val_metrics["accuracy"] > 0.5 and h[-1].train_metrics["margin"] > 0
    # the tuned z makes 'do' more likely: top trajectories gain log-prob relative to the bottom ones
    order = np.argsort(rewards)
    gain = (trajectory_logprobs(policy, trajs, res.z) - trajectory_logprobs(policy, trajs, z0)).detach().numpy()
    assert gain[order[-10:]].mean() > gain[order[:10]].mean()
    again = tune_latent(policy, trajs, pairs, z0, epochs=40, lr=0.05, seed=1, val_fraction=0.2)
    assert torch.equal(again.z, res.z)  # deterministic


def test_cached_and_uncached_tuning_agree(data):
    policy, trajs, pairs, z0, _ = data
    cache = FeatureCache.build(policy, trajs)
    a = tune_latent(policy, trajs, pairs, z0, epochs=4, lr=0.05, cached=cache, batch_pairs=64, val_fraction=0.2)
    b = tune_latent(policy, trajs, pairs, z0, epochs=4, lr=0.05, cached=False, batch_pairs=64, val_fraction=0.2)
    assert torch.allclose(a.z, b.z, atol=1e-3)
    assert a.history[-1].val_loss == pytest.approx(b.history[-1].val_loss, abs=1e-4)


def test_ties_change_nothing_in_dpo_and_pairs_may_use_trajectory_ids(data):
    policy, trajs, pairs, z0, _ = data
    base = tune_latent(policy, trajs, pairs, z0, epochs=3, lr=0.05)
    noisy = pairs + [Pair(0, 1, "tie"), Pair(2, 3, "both_bad")]
    assert torch.equal(tune_latent(policy, trajs, noisy, z0, epochs=3, lr=0.05).z, base.z)
    for k, t in enumerate(trajs):
        t.meta["id"] = f"traj-{k}"
    by_id = [Pair(f"traj-{p.i}", f"traj-{p.j}", p.label) for p in pairs]
    assert torch.equal(tune_latent(policy, trajs, by_id, z0, epochs=3, lr=0.05).z, base.z)
    with pytest.raises(TuningError, match="no usable pairs"):
        tune_latent(policy, trajs, [Pair(0, 1, "tie")], z0)
    ipo = tune_latent(policy, trajs, noisy, z0, loss="ipo", epochs=3, lr=0.05)
    assert ipo.n_train + ipo.n_val == len(pairs) + 1  # IPO keeps the tie, never both_bad


def test_non_finite_losses_raise_tuning_error(data):
    policy, trajs, pairs, z0, _ = data
    with pytest.raises(TuningError, match="z0"):
        tune_latent(policy, trajs, pairs, torch.full_like(z0, float("nan")))

    class Exploding(type(policy)):
        def head_logits(self, features, z):
            out = super().head_logits(features, z)
            return out if torch.equal(z.detach().reshape(-1)[:4], z0[:4]) else out * float("nan")

    bad = Exploding(policy.cfg)
    bad.load_state_dict(policy.state_dict())
    with pytest.raises(TuningError, match="non-finite loss .* at epoch 1"):
        tune_latent(bad.eval(), trajs, pairs, z0, epochs=3, batch_pairs=32)


def test_bc_positive_raises_the_likelihood_of_preferred_trajectories(data):
    policy, trajs, pairs, z0, _ = data
    res = tune_latent(policy, trajs, pairs, z0, loss="bc_positive", epochs=20, lr=0.05)
    assert res.history[-1].train_loss < res.history[0].train_loss
    winners = sorted({p.preferred for p in pairs})
    before = trajectory_logprobs(policy, [trajs[k] for k in winners], z0).sum()
    assert trajectory_logprobs(policy, [trajs[k] for k in winners], res.z).sum() > before


def test_full_finetuning_updates_a_copy_only(data):
    policy, trajs, pairs, z0, _ = data
    before = _snapshot(policy)
    res = finetune_policy(policy, trajs, pairs[:48], z0, epochs=2, lr=1e-3, batch_pairs=16)
    assert all(torch.equal(before[k], v) for k, v in policy.state_dict().items())
    changed = [k for k, v in res.policy.state_dict().items() if not torch.equal(before[k], v)]
    assert res.best_epoch > 0 and any(k.startswith("frame_encoder") for k in changed)
    assert res.history[-1].train_loss < math.log(2)
    assert not any(p.requires_grad for p in res.policy.parameters())


def test_tune_result_reports_how_far_z_moved_and_which_epoch_won(data):
    policy, trajs, pairs, z0, _ = data
    res = tune_latent(policy, trajs, pairs, z0, epochs=6, lr=0.05, seed=1, val_fraction=0.2)
    h0 = res.history[0]
    # at z0 every margin is exactly 0: half right, not wrong
    assert h0.val_metrics["accuracy"] == 0.5 and h0.val_metrics["zero_margin"] == 1.0 and h0.z_l2 == 0.0
    assert res.drift.l2 == pytest.approx(float((res.z - z0).norm()), rel=1e-5)
    assert res.drift.cosine == pytest.approx(float(torch.nn.functional.cosine_similarity(res.z, z0, dim=0)), abs=1e-6)
    assert res.drift.norm == pytest.approx(float(res.z.norm()), rel=1e-6)
    assert res.history[res.best_epoch].z_l2 == pytest.approx(res.drift.l2, rel=1e-4)
    assert res.final_drift.l2 == pytest.approx(res.history[-1].z_l2, rel=1e-4) and res.final_drift.l2 > 0
    assert res.best_epoch == 6 and res.best_epoch_kind == "last" and "still improving" in res.diagnosis
    d = res.to_dict()
    assert d["best_epoch_kind"] == "last" and d["drift"]["l2"] == res.drift.l2 and "cosine" in d["diagnosis"]
    unchanged = tune_latent(policy, trajs, pairs, z0, epochs=0)
    assert unchanged.best_epoch_kind == "first" and "unchanged" in unchanged.diagnosis
    assert unchanged.drift.l2 == 0.0 and unchanged.drift.cosine == pytest.approx(1.0)


def test_best_epoch_notes_name_all_three_cases(data):
    from pgt_core.diagnostics import best_epoch_note

    assert "unchanged" in best_epoch_note(0, 50)
    assert "stopped nothing" in best_epoch_note(50, 50)
    assert "stopped there" in best_epoch_note(12, 50)
    assert "no held-out pairs" in best_epoch_note(12, 50, held_out=False)
    policy, trajs, pairs, z0, _ = data
    default = tune_latent(policy, trajs, pairs, z0, epochs=3)  # no held-out pairs by default: the guard bounds z
    assert default.n_val == 0 and "the guard bounds" in default.diagnosis

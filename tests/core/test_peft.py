"""LoRA and BitFit baselines: the base policy stays bit-identical, only adapters / biases train, DPO loss falls."""
import numpy as np
import pytest
import torch

from pgt_core.logprob import trajectory_logprobs
from pgt_core.pairs import pairs_from_rewards
from pgt_core.peft import LoRALinear, PeftConfig, make_student, merge_lora
from pgt_core.tuning import finetune_policy
from tests.support.fakes import fake_rollouts

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def data():
    policy, trajs, z0 = fake_rollouts(32)
    rewards = [float(np.mean(t.actions == 5)) for t in trajs]  # more 'do' per step is better
    return policy, trajs, pairs_from_rewards(rewards, max_pairs=120, rng=0), z0


def _snapshot(module):
    return {k: v.clone() for k, v in module.state_dict().items()}


def _tune(data, cfg: PeftConfig, lr: float):
    policy, trajs, pairs, z0 = data
    return finetune_policy(policy, trajs, pairs, z0, epochs=4, lr=lr, batch_pairs=None, val_fraction=0.0,
                           peft=cfg)


def test_lora_trains_only_its_adapters_and_starts_as_the_base_policy(data):
    policy, trajs, _, z0 = data
    before = _snapshot(policy)
    student, params, features_frozen = make_student(policy, PeftConfig("lora", rank=4))
    assert features_frozen and {p.shape[0] for p in params[::2]} == {4}
    lora_layers = [m for m in student.modules() if isinstance(m, LoRALinear)]
    assert len(lora_layers) == 4  # film: 2 Linear, head: 2 Linear
    assert torch.equal(trajectory_logprobs(student, trajs[:4], z0), trajectory_logprobs(policy, trajs[:4], z0))

    res = _tune(data, PeftConfig("lora", rank=4), lr=1e-2)
    assert all(torch.equal(before[k], v) for k, v in policy.state_dict().items())  # the original is untouched
    tuned = res.policy.state_dict()
    for k, v in tuned.items():
        base_key = k.replace(".base.", ".")
        if "lora_" in k:
            continue
        assert torch.equal(v, before[base_key]), k  # every base weight of the copy is frozen too
    assert any(not torch.equal(v, torch.zeros_like(v)) for k, v in tuned.items() if k.endswith("lora_b"))
    assert res.method == "lora" and res.trainable == sum(p.numel() for p in params)
    assert res.history[-1].train_loss < res.history[0].train_loss
    assert not any(p.requires_grad for p in res.policy.parameters())


def test_merged_lora_is_the_base_architecture_with_the_same_behaviour(data):
    policy, trajs, _, z0 = data
    res = _tune(data, PeftConfig("lora", rank=8), lr=1e-2)
    merged = merge_lora(res.policy)
    assert merged.state_dict().keys() == policy.state_dict().keys()
    assert torch.allclose(trajectory_logprobs(merged, trajs[:6], z0), trajectory_logprobs(res.policy, trajs[:6], z0),
                          atol=1e-4)


def test_bitfit_trains_only_biases(data):
    policy, _, _, _ = data
    before = _snapshot(policy)
    res = _tune(data, PeftConfig("bitfit"), lr=1e-2)
    assert all(torch.equal(before[k], v) for k, v in policy.state_dict().items())
    changed = {k for k, v in res.policy.state_dict().items() if not torch.equal(before[k], v)}
    assert changed and all(k.rsplit(".", 1)[-1].startswith("bias") for k in changed)
    assert any(k.startswith("frame_encoder") for k in changed)  # the CNN's biases too, not only the head's
    assert not any(k.startswith("goal_encoder") for k in changed)
    assert res.history[-1].train_loss < res.history[0].train_loss
    assert res.trainable < sum(p.numel() for p in policy.parameters()) // 50


def test_peft_config_rejects_unknown_methods():
    with pytest.raises(ValueError):
        PeftConfig("prefix")
    with pytest.raises(ValueError):
        PeftConfig("lora", rank=0)

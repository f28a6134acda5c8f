"""Foundation training: the fast paths compute what the shipped recipe computes, and training still learns."""
import numpy as np
import pytest
import torch

from pgt_core.policy.demos import record_many
from pgt_core.policy.model import GoalConditionedPolicy, PolicyConfig
from pgt_core.policy.train import (
    Args,
    WindowSampler,
    batches,
    bc_loss,
    command_line,
    load_demos,
    parse_args,
    train_step,
)

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return load_demos(record_many(40_000, 3, 80, tmp_path_factory.mktemp("demos"), workers=1))


def _sampler(data, seed=0, window=24):
    return WindowSampler(data, 16, window, 0.3, np.random.default_rng(seed))


def test_goal_cnn_once_per_distinct_frame_gives_the_same_latents_and_loss(data):
    torch.manual_seed(0)
    policy = GoalConditionedPolicy(PolicyConfig())
    batch = _sampler(data).sample(6)
    clips = batch["clip_frames"][batch["clip_index"]]
    assert len(batch["clip_frames"]) < clips.shape[0] * clips.shape[1]  # the clips really share frames
    with torch.no_grad():
        every = policy.encode_goal(clips)
        distinct = policy.goal_encoder.forward_frames(batch["clip_frames"], batch["clip_index"])
        assert torch.allclose(every, distinct, atol=1e-5)
        a, _ = bc_loss(policy, batch, distinct_clip_frames=False)
        b, _ = bc_loss(policy, batch, distinct_clip_frames=True)
    assert float(a) == pytest.approx(float(b), abs=1e-5)


def test_bf16_training_matches_fp32_closely_and_fits_a_batch(data):
    torch.manual_seed(0)
    policy = GoalConditionedPolicy(PolicyConfig())
    batch = _sampler(data, seed=1).sample(4)
    with torch.no_grad():
        full, _ = bc_loss(policy, batch, precision="fp32")
        half, _ = bc_loss(policy, batch, precision="bf16")
    assert float(half) == pytest.approx(float(full), rel=0.02)
    args = Args(precision="bf16", lr=1e-3)
    opt = torch.optim.Adam(policy.parameters(), lr=args.lr)
    first = float(train_step(policy, opt, batch, args)[0].detach())
    for _ in range(7):
        last = float(train_step(policy, opt, batch, args)[0].detach())
    assert np.isfinite(last) and last < 0.8 * first
    assert all(p.dtype == torch.float32 for p in policy.parameters())  # weights stay float32 (loadable as before)


def test_prefetched_batches_are_the_same_sequence(data):
    plain = batches(_sampler(data, seed=3), 2, torch.device("cpu"), prefetch=False)
    ahead = batches(_sampler(data, seed=3), 2, torch.device("cpu"), prefetch=True)
    for _ in range(3):
        a, b = next(plain), next(ahead)
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    ahead.close()


def test_the_recorded_command_repeats_the_run():
    args = Args(episodes=12, precision="fp32", prefetch=False, device="cuda", init="a.pt")
    again = parse_args(command_line(args).split()[3:] + ["--out", args.out, "--data", args.data])
    assert again == args

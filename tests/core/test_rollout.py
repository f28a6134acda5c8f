"""Rollouts: batch-size independence, per-episode latents, episode ends, records, worker processes."""
from dataclasses import replace

import numpy as np
import torch

from pgt_core.rollout import collect_rollouts, episode_rng, sample_actions
from tests.support.fakes import SHORT_WOOD, FakeEnv, frozen_foundation

torch.set_num_threads(1)


def _same(a, b):
    return (a.seed == b.seed and np.array_equal(a.actions, b.actions) and np.array_equal(a.frames, b.frames)
            and a.events == b.events and a.meta == b.meta)


def test_same_seeds_give_identical_episodes_whatever_the_batch_size():
    f = frozen_foundation()
    z = f.prompt_latent("collect_wood")
    seeds = [3, 7, 3, 11, 2]  # a repeated world seed is a second, different episode in that world
    one = collect_rollouts(f.policy, z, SHORT_WOOD, seeds, batch_size=1, sample_seed=5)
    four = collect_rollouts(f.policy, z, SHORT_WOOD, seeds, batch_size=4, sample_seed=5)
    assert [t.seed for t in four] == seeds
    assert all(_same(a, b) for a, b in zip(one, four, strict=True))
    assert not np.array_equal(one[0].actions, one[2].actions)
    other = collect_rollouts(f.policy, z, SHORT_WOOD, seeds[:1], sample_seed=6)
    assert not np.array_equal(other[0].actions, one[0].actions)


def test_real_crafter_episode_is_reproducible_and_ends_at_the_time_limit():
    f = frozen_foundation()
    task = replace(SHORT_WOOD, max_steps=6)
    z = f.prompt_latent("collect_wood")
    a = collect_rollouts(f.policy, z, task, [5, 6], batch_size=2)
    b = collect_rollouts(f.policy, z, task, [6, 5], batch_size=1)
    assert _same(a[0], b[1]) and _same(a[1], b[0])
    assert all(t.length == 6 and t.frames.shape == (7, 64, 64, 3) for t in a)


def test_episodes_end_when_the_env_is_done_and_slots_restart_with_fresh_memory():
    f = frozen_foundation()
    z = f.prompt_latent("collect_wood")
    seeds = list(range(10))
    trajs = collect_rollouts(f.policy, z, SHORT_WOOD, seeds, batch_size=3, env_factory=FakeEnv)
    assert [t.length for t in trajs] == [min(4 + s % 9, SHORT_WOOD.max_steps) for s in seeds]
    # an episode played alone (fresh GRU state) matches the same episode played after others in a slot
    alone = collect_rollouts(f.policy, z, SHORT_WOOD, [seeds[-1]], batch_size=1, env_factory=FakeEnv)
    assert _same(alone[0], trajs[-1])


def test_one_call_can_roll_out_two_latents():
    f = frozen_foundation()
    z1, z2 = f.prompt_latent("collect_wood"), f.prompt_latent("collect_drink")
    seeds = [1, 2, 1, 2]
    both = collect_rollouts(f.policy, torch.stack([z1, z1, z2, z2]), SHORT_WOOD, seeds, batch_size=4,
                            env_factory=FakeEnv)
    first = collect_rollouts(f.policy, z1, SHORT_WOOD, [1, 2], env_factory=FakeEnv)
    second = collect_rollouts(f.policy, z2, SHORT_WOOD, [1, 2], env_factory=FakeEnv)
    assert all(_same(a, b) for a, b in zip(both, first + second, strict=True))
    assert both[2].meta["z_id"] != both[0].meta["z_id"]


def test_records_carry_task_outcomes_progress_and_optional_frames():
    f = frozen_foundation()
    calls = []
    trajs = collect_rollouts(f.policy, f.prompt_latent("collect_wood"), SHORT_WOOD, [0, 1, 2], batch_size=2,
                             env_factory=FakeEnv, progress=lambda d, n: calls.append((d, n)), keep_frames=False)
    assert calls == [(1, 3), (2, 3), (3, 3)]
    for t in trajs:
        assert {"task", "reward", "success", "z_norm", "z_id", "sample_seed", "steps"} <= set(t.meta)
        assert t.meta["success"] == (5 in t.actions.tolist()) and t.meta["reward"] == SHORT_WOOD.reward(t)
        assert t.frames.shape == (t.length + 1, 0, 0, 3)


def test_greedy_picks_the_argmax_and_sampling_follows_the_probabilities():
    logits = torch.tensor([[0.0, 2.0, 1.0]])
    assert sample_actions(logits, np.array([0.99]), greedy=True).tolist() == [1]
    probs = torch.softmax(logits, -1)[0].double().numpy()
    us = episode_rng(0, 1).random(20000)
    counts = np.bincount(sample_actions(logits.expand(len(us), -1), us, greedy=False), minlength=3) / len(us)
    assert np.allclose(counts, probs, atol=0.015)


def test_worker_processes_give_the_same_episodes():
    f = frozen_foundation()
    z = f.prompt_latent("collect_wood")
    local = collect_rollouts(f.policy, z, SHORT_WOOD, list(range(6)), batch_size=4, env_factory=FakeEnv)
    pooled = collect_rollouts(f.policy, z, SHORT_WOOD, list(range(6)), batch_size=4, env_factory=FakeEnv,
                              env_workers=2)
    assert all(_same(a, b) for a, b in zip(local, pooled, strict=True))

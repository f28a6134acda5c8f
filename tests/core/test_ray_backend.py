"""The Ray rollout backend gives the same trajectories as the local one (local Ray, 2 CPUs).

ray is in the test extras (pyproject.toml), so a missing or broken install fails here instead of skipping:
a CI that skipped would pass without ever running the backend."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from pgt_core.engines import get_rollout_engine, rollout_backend_name
from pgt_core.policy.checkpoint import Foundation
from pgt_core.ray_backend import shard_seeds
from pgt_core.rollout import collect_rollouts
from pgt_core.tasks import Task

torch.set_num_threads(1)
TASK = Task("short_wood", "collect_wood", 20, "a short episode for backend checks")


def test_shards_keep_every_occurrence_of_a_seed_together_in_order():
    seeds = [5, 6, 5, 7, 8, 5, 9, 6]
    shards = shard_seeds(seeds, 3)
    assert sorted(p for s in shards for p in s) == list(range(len(seeds)))
    for s in shards:
        assert s == sorted(s)
        values = {seeds[p] for p in s}
        assert all(all(seeds[p] not in values for p in other) for other in shards if other is not s)
    assert max(map(len, shards)) - min(map(len, shards)) <= 2
    assert shard_seeds([1, 1, 1], 4) == [[0, 1, 2]]


def test_selector(monkeypatch):
    monkeypatch.delenv("PGT_ROLLOUT_BACKEND", raising=False)
    assert get_rollout_engine() is collect_rollouts
    monkeypatch.setenv("PGT_ROLLOUT_BACKEND", "Ray")
    assert rollout_backend_name() == "ray"
    assert rollout_backend_name("local") == "local"
    with pytest.raises(ValueError, match="unknown rollout backend"):
        rollout_backend_name("spark")


@pytest.fixture(scope="module")
def ray_engine():
    import ray  # an ImportError here means the test extras are not installed: pip install '.[test]'

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield get_rollout_engine("ray")
    finally:
        ray.shutdown()


def _same(a, b) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert x.seed == y.seed
        assert np.array_equal(x.actions, y.actions)
        assert x.events == y.events
        assert np.array_equal(x.frames, y.frames)
        assert x.meta == y.meta


@pytest.mark.ray
def test_ray_matches_local_for_the_same_seeds(ray_engine):
    foundation = Foundation.untrained(seed=3)
    policy, z = foundation.policy, foundation.prompt_latent("collect_wood")
    seeds = [11, 12, 11, 13, 14]  # a repeated seed gets its own action stream in both backends
    local = collect_rollouts(policy, z, TASK, seeds, batch_size=4, sample_seed=7)
    seen = []
    remote = ray_engine(policy, z, TASK, seeds, batch_size=2, sample_seed=7, progress=lambda d, n: seen.append((d, n)))
    _same(local, remote)
    assert not np.array_equal(local[0].actions, local[2].actions)
    assert seen[-1] == (5, 5)


@pytest.mark.ray
def test_ray_matches_local_with_one_latent_per_seed_and_greedy(ray_engine):
    foundation = Foundation.untrained(seed=4)
    torch.manual_seed(0)
    zs = torch.randn(4, 512)
    seeds = [21, 22, 23, 24]
    _same(collect_rollouts(foundation.policy, zs, TASK, seeds, greedy=True, keep_frames=False),
          ray_engine(foundation.policy, zs, TASK, seeds, greedy=True, keep_frames=False))

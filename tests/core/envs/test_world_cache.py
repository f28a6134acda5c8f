"""The world cache: a world restored from its snapshot plays exactly like a freshly generated one,
and rollouts over a pool of worlds generate each world once."""
from functools import partial

import numpy as np
import pytest
import torch

from pgt_core.envs.crafter_env import CrafterEnv
from pgt_core.envs.world_cache import WorldCache
from pgt_core.rollout import collect_rollouts, uncached_env_factory
from tests.support.fakes import SHORT_WOOD, frozen_foundation

torch.set_num_threads(1)


def _play(env: CrafterEnv, seed: int, actions: np.ndarray) -> tuple[list[np.ndarray], list, list]:
    frames, events, infos = [env.reset(seed)], [], []
    for a in actions:
        r = env.step(int(a))
        frames.append(r.frame)
        events.append(r.events)
        infos.append((r.reward, r.done, r.info["player_pos"], sorted(r.info["inventory"].items())))
    return frames, events, infos


def _same(a, b) -> bool:
    return (all(np.array_equal(x, y) for x, y in zip(a[0], b[0], strict=True))
            and a[1] == b[1] and a[2] == b[2])


def test_a_restored_world_plays_bit_identically_to_a_generated_one():
    # 120 steps: creatures move on the world's random state, chunks rebalance every 10 steps, daylight changes
    actions = np.random.default_rng(3).integers(0, 17, 120)
    reference = _play(CrafterEnv(), 11, actions)
    cache = WorldCache()
    env = CrafterEnv(world_cache=cache)
    generated = _play(env, 11, actions)
    _play(env, 12, actions[:5])  # another world in between
    restored = _play(env, 11, actions)
    again = _play(CrafterEnv(world_cache=cache), 11, actions)  # another env object, same snapshot
    assert _same(reference, generated) and _same(reference, restored) and _same(reference, again)
    assert (cache.misses, cache.hits, len(cache)) == (2, 2, 2)
    other = _play(CrafterEnv(), 12, actions)
    assert not _same(reference, other)


def test_rollouts_over_a_pool_of_worlds_generate_each_world_once_with_identical_episodes():
    f = frozen_foundation()
    z = f.prompt_latent("collect_wood")
    seeds = [21, 22, 21, 23, 22, 21]
    cache = WorldCache()
    cached = collect_rollouts(f.policy, z, SHORT_WOOD, seeds, batch_size=2, sample_seed=4,
                              env_factory=partial(CrafterEnv, world_cache=cache))
    fresh = collect_rollouts(f.policy, z, SHORT_WOOD, seeds, batch_size=2, sample_seed=4,
                             env_factory=uncached_env_factory)
    assert cache.misses == 3 and cache.hits == 3
    for a, b in zip(cached, fresh, strict=True):
        assert np.array_equal(a.frames, b.frames) and np.array_equal(a.actions, b.actions)
        assert a.events == b.events and a.meta == b.meta


def test_the_cache_keeps_the_most_recently_used_worlds_up_to_its_bound():
    cache = WorldCache(max_worlds=2)
    cache.put(1, b"a")
    cache.put(2, b"b")
    assert cache.get(1) == b"a"  # 1 is now the most recent
    cache.put(3, b"c")
    assert cache.get(2) is None and cache.get(1) == b"a" and cache.get(3) == b"c"
    assert len(cache) == 2
    with pytest.raises(ValueError):
        WorldCache(max_worlds=0)


def test_worlds_are_keyed_by_frame_size_too():
    cache = WorldCache()
    small = CrafterEnv(size=32, world_cache=cache).reset(5)
    large = CrafterEnv(world_cache=cache).reset(5)
    assert small.shape == (32, 32, 3) and large.shape == (64, 64, 3) and cache.misses == 2

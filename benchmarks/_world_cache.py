"""Crafter worlds generated once per seed and restored from a snapshot on every later reset.

Why: a benchmark that evaluates hundreds of latents on the same 100 worlds spends most of its time
regenerating those worlds (~90 ms per reset, more than a short episode's steps). The snapshot is
the whole Crafter environment pickled right after its reset (world, player, random state), so a
restored reset continues exactly as a fresh one would; `check_identical` verifies it.
"""
from __future__ import annotations

import pickle
import sys
from pathlib import Path
from typing import Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pgt_core.envs.crafter_env import CrafterEnv  # noqa: E402


class WorldCache:
    """`factory` makes envs that share one seed -> snapshot map."""

    def __init__(self) -> None:
        self.snapshots: dict[int, bytes] = {}

    def factory(self) -> CrafterEnv:
        return _CachedCrafterEnv(self.snapshots)


class _CachedCrafterEnv(CrafterEnv):
    def __init__(self, snapshots: dict[int, bytes]) -> None:
        super().__init__()
        self._snapshots = snapshots

    def reset(self, seed: int) -> np.ndarray:
        seed = int(seed)
        snap = self._snapshots.get(seed)
        if snap is None:
            frame = super().reset(seed)
            self._snapshots[seed] = pickle.dumps(self._env)
            return frame
        self._env = pickle.loads(snap)
        self.seed = seed
        self._achievements = dict(self.player.achievements)
        return self._env.render()


def check_identical(collect: Callable[..., list], **kwargs) -> bool:
    """The same rollouts with fresh and with restored worlds (every action, event and frame)."""
    cache = WorldCache()
    fresh = collect(**kwargs)
    collect(**kwargs, env_factory=cache.factory)  # fills the cache
    restored = collect(**kwargs, env_factory=cache.factory)
    return all(np.array_equal(a.actions, b.actions) and a.events == b.events and np.array_equal(a.frames, b.frames)
               for a, b in zip(fresh, restored, strict=True))

"""Crafter behind `GoalEnv`, reproducible across processes.

Crafter's `Env._balance_chunk` receives each chunk's objects as a Python *set*; the order
of a set of objects depends on memory addresses, so which cow or zombie gets despawned
differs between processes with the same seed. We patch it to see the objects sorted by
position (then by type name), which makes an episode a pure function of its seed.
"""
from __future__ import annotations

from typing import Any

import crafter
import numpy as np
from crafter import constants

from pgt_core.envs.base import StepResult
from pgt_core.envs.world_cache import WorldCache, restore, snapshot

ACTION_NAMES: tuple[str, ...] = tuple(constants.actions)
ACHIEVEMENTS: tuple[str, ...] = tuple(constants.achievements)

_original_balance_chunk = crafter.Env._balance_chunk


def _sorted_objects(objs: Any) -> list:
    return sorted(objs, key=lambda o: (int(o.pos[0]), int(o.pos[1]), type(o).__name__))


def _deterministic_balance_chunk(self: crafter.Env, chunk: Any, objs: Any) -> None:
    _original_balance_chunk(self, chunk, _sorted_objects(objs))


if getattr(crafter.Env._balance_chunk, "__name__", "") != "_deterministic_balance_chunk":
    crafter.Env._balance_chunk = _deterministic_balance_chunk


class CrafterEnv:
    """One Crafter world at a time; `reset(seed)` regenerates the world from `seed` alone.

    `max_steps` is the backend's time limit; tasks usually set a shorter one. With a
    `world_cache`, each seed's world is generated once and later resets restore it
    (`pgt_core.envs.world_cache`); the episode is the same either way.
    """

    action_names = ACTION_NAMES
    frame_shape = (64, 64, 3)

    def __init__(self, max_steps: int = 10000, size: int = 64, world_cache: WorldCache | None = None) -> None:
        self.max_steps = max_steps
        self.frame_shape = (size, size, 3)
        self._env = crafter.Env(size=(size, size), length=max_steps, seed=0)
        self._textures = self._env._textures
        self.world_cache = world_cache
        self._achievements: dict[str, int] = {}
        self.seed: int | None = None

    # -- GoalEnv ---------------------------------------------------------------------------
    def reset(self, seed: int) -> np.ndarray:
        seed = int(seed)
        self.seed = seed
        cache = self.world_cache
        key = (seed, self.frame_shape, self.max_steps)
        snap = cache.get(key) if cache is not None else None
        if snap is not None:
            self._env = restore(snap, self._textures)
            frame = self._env.render()
        else:
            env = self._env
            # Crafter seeds the world with hash((seed, episode)); pin both so the world is a
            # function of `seed` only, however many episodes this object has played.
            env._seed = seed
            env._episode = 0
            frame = env.reset()
            if cache is not None:
                cache.put(key, snapshot(env, self._textures))
        self._achievements = dict(self._env._player.achievements)
        return frame

    def step(self, action: int) -> StepResult:
        if self.seed is None:
            raise RuntimeError("call reset(seed) before step()")
        action = int(action)
        if not 0 <= action < len(ACTION_NAMES):
            raise ValueError(f"action {action} out of range 0..{len(ACTION_NAMES) - 1}")
        frame, reward, done, info = self._env.step(action)
        events = []
        for name, count in info["achievements"].items():
            gained = count - self._achievements.get(name, 0)
            events.extend([name] * max(0, gained))
        self._achievements = dict(info["achievements"])
        return StepResult(
            frame=frame,
            reward=float(reward),
            done=bool(done),
            events=events,
            info={"inventory": info["inventory"], "player_pos": tuple(int(v) for v in info["player_pos"])},
        )

    def close(self) -> None:
        pass

    # -- privileged access for the scripted demonstrator ---------------------------------
    @property
    def world(self) -> Any:
        """Crafter's world (materials and objects); only scripted agents may read it."""
        return self._env._world

    @property
    def player(self) -> Any:
        return self._env._player

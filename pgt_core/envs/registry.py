"""Environment backends by name (imported only when asked for: MineRL may not be installed)."""
from __future__ import annotations

from typing import Any

from pgt_core.envs.base import GoalEnv


def make_env(backend: str = "crafter", **kwargs: Any) -> GoalEnv:
    """Build an environment by backend name ('crafter' is embedded; 'minerl' needs minerl installed)."""
    if backend == "crafter":
        from pgt_core.envs.crafter_env import CrafterEnv

        return CrafterEnv(**kwargs)
    if backend == "minerl":
        from pgt_core.envs.minerl_env import MineRLEnv

        return MineRLEnv(**kwargs)
    raise ValueError(f"unknown environment backend {backend!r}; expected 'crafter' or 'minerl'")

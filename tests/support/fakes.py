"""Tiny stand-ins for the PGT core tests: a fast fake environment, short tasks, a frozen policy."""
from __future__ import annotations

import numpy as np
import torch

from pgt_core.envs.base import StepResult
from pgt_core.policy.checkpoint import Foundation
from pgt_core.tasks import Task

SHORT_WOOD = Task("collect_wood", "collect_wood", 12, "collect_wood with a short time limit for tests")


class FakeEnv:
    """Frames depend on the seed, the step and the last action; 'do' (5) yields collect_wood;
    the episode ends by itself after 4 + seed % 9 steps, so lengths vary."""

    action_names = tuple(str(a) for a in range(17))
    frame_shape = (64, 64, 3)

    def reset(self, seed: int) -> np.ndarray:
        self.seed, self.t = int(seed), 0
        self.horizon = 4 + self.seed % 9
        return self._frame(0)

    def _frame(self, action: int) -> np.ndarray:
        rng = np.random.default_rng([self.seed, self.t])
        frame = rng.integers(0, 256, self.frame_shape, dtype=np.uint8)
        frame[:8, :8] = action * 15
        return frame

    def step(self, action: int) -> StepResult:
        self.t += 1
        events = ["collect_wood"] if action == 5 else []
        return StepResult(self._frame(action), 0.0, self.t >= self.horizon, events)

    def close(self) -> None:
        pass


def frozen_foundation(seed: int = 0) -> Foundation:
    """An untrained bundle whose weights do not require grad, like a loaded checkpoint."""
    torch.set_num_threads(1)
    f = Foundation.untrained(seed=seed, tasks=["collect_wood", "collect_sapling", "collect_drink"])
    for p in f.policy.parameters():
        p.requires_grad_(False)
    return f


def fake_rollouts(n: int, batch_size: int = 8) -> tuple[torch.nn.Module, list, torch.Tensor]:
    """(frozen policy, n FakeEnv episodes of varying length under z0, z0 for collect_wood)."""
    from pgt_core.rollout import collect_rollouts

    f = frozen_foundation()
    z0 = f.prompt_latent("collect_wood")
    return f.policy, collect_rollouts(f.policy, z0, SHORT_WOOD, list(range(n)), batch_size=batch_size,
                                      env_factory=FakeEnv), z0

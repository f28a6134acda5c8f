"""The small environment interface every backend plugs into (Gymnasium-style, but seeded per reset).

Why not Gymnasium itself: PGT needs two things Gymnasium does not standardise --
(1) achievement *events* per step, because tasks are defined by them, and
(2) a seed on every reset that fully determines the episode, because before/after
reviews must replay the same worlds under two latents.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence, runtime_checkable

import numpy as np


@dataclass
class StepResult:
    """What one environment step returns."""

    frame: np.ndarray  # uint8 [H, W, 3], the observation after the action
    reward: float  # the backend's own reward (tasks compute their own from events)
    done: bool  # the episode ended (death or the backend's time limit)
    events: list[str] = field(default_factory=list)  # achievements incremented at this step
    info: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class GoalEnv(Protocol):
    """A seeded, frame-observation environment with achievement events."""

    action_names: Sequence[str]
    frame_shape: tuple[int, int, int]

    def reset(self, seed: int) -> np.ndarray:
        """Start the episode determined by `seed`; return the first frame."""

    def step(self, action: int) -> StepResult:
        """Apply one discrete action."""

    def close(self) -> None:
        """Release resources."""

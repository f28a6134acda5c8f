"""One recorded episode: frames, actions, rewards and achievement events, saved as .npz.

`frames` holds T+1 frames: the observation before each of the T actions, plus the last
one, so a video shows how the episode ended while log-probs use `frames[:T]`.
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pgt_core.atomic import write_atomic


@dataclass
class Trajectory:
    frames: np.ndarray  # uint8 [T+1, H, W, 3]
    actions: np.ndarray  # int64 [T]
    rewards: np.ndarray  # float32 [T], the backend's own per-step reward
    events: list[tuple[int, str]] = field(default_factory=list)  # (step index, achievement)
    seed: int = 0
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.frames = np.asarray(self.frames, dtype=np.uint8)
        self.actions = np.asarray(self.actions, dtype=np.int64)
        self.rewards = np.asarray(self.rewards, dtype=np.float32)
        self.events = [(int(s), str(n)) for s, n in self.events]
        if self.frames.ndim != 4 or self.frames.shape[-1] != 3:
            raise ValueError(f"frames must be [T+1, H, W, 3], got {self.frames.shape}")
        if len(self.frames) != len(self.actions) + 1:
            raise ValueError(
                f"need one more frame than actions, got {len(self.frames)} frames and {len(self.actions)} actions"
            )
        if len(self.rewards) != len(self.actions):
            raise ValueError("rewards and actions must have the same length")

    @property
    def length(self) -> int:
        return int(len(self.actions))

    def achievements(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for _, name in self.events:
            counts[name] = counts.get(name, 0) + 1
        return counts

    # -- persistence ------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        np.savez_compressed(
            buf,
            frames=self.frames,
            actions=self.actions,
            rewards=self.rewards,
            header=np.frombuffer(
                json.dumps({"events": self.events, "seed": self.seed, "meta": self.meta}).encode(), dtype=np.uint8
            ),
        )
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> "Trajectory":
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            header = json.loads(z["header"].tobytes().decode())
            return cls(
                frames=z["frames"],
                actions=z["actions"],
                rewards=z["rewards"],
                events=[tuple(e) for e in header["events"]],
                seed=int(header["seed"]),
                meta=header.get("meta", {}),
            )

    def save(self, path: str | Path) -> Path:
        return write_atomic(path, self.to_bytes())  # a reader never sees half a file

    @classmethod
    def load(cls, path: str | Path) -> "Trajectory":
        return cls.from_bytes(Path(path).read_bytes())

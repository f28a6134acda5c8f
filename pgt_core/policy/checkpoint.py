"""Save and load the foundation bundle: policy weights + config + task prompts + provenance.

The bundle ships inside the package (`pgt_core/assets/crafter_foundation.pt`, made by
`python -m pgt_core.policy.train`) and is what every other part loads by default.
Prompt clips are stored as uint8 frames so the goal encoder, not a cached vector, defines z0.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import torch

from pgt_core.atomic import atomic_path
from pgt_core.policy.model import GoalConditionedPolicy, PolicyConfig

# Package data, so a wheel install finds it as well as a checkout.
DEFAULT_CHECKPOINT = Path(str(resources.files("pgt_core") / "assets" / "crafter_foundation.pt"))


@dataclass
class Foundation:
    """A frozen foundation policy with its prompt clips (one "human-selected" clip per task)."""

    policy: GoalConditionedPolicy
    prompts: dict[str, np.ndarray] = field(default_factory=dict)  # task -> uint8 [K, H, W, 3]
    meta: dict[str, Any] = field(default_factory=dict)

    @torch.no_grad()
    def prompt_latent(self, task: str) -> torch.Tensor:
        """z0 for a task: the goal encoder applied to the task's prompt clip (float32 [latent_dim])."""
        if task not in self.prompts:
            raise KeyError(f"no prompt clip for task {task!r}; prompts exist for: {', '.join(sorted(self.prompts))}")
        self.policy.eval()
        clip = torch.from_numpy(self.prompts[task])
        return self.policy.encode_goal(clip).float()

    @torch.no_grad()
    def encode_clip(self, clip: np.ndarray) -> torch.Tensor:
        """z for any reference clip uint8 [K, H, W, 3] (e.g. a researcher's new prompt)."""
        clip = np.asarray(clip, dtype=np.uint8)
        if clip.ndim != 4 or clip.shape[-1] != 3:
            raise ValueError(f"a prompt clip must be uint8 [K, H, W, 3], got shape {clip.shape}")
        self.policy.eval()
        return self.policy.encode_goal(torch.from_numpy(clip)).float()

    @classmethod
    def untrained(cls, seed: int = 0, tasks: list[str] | None = None, clip_len: int = 16) -> "Foundation":
        """A randomly initialised bundle for tests that must not depend on the shipped weights."""
        torch.manual_seed(seed)
        policy = GoalConditionedPolicy(PolicyConfig(clip_len=clip_len)).eval()
        rng = np.random.default_rng(seed)
        names = tasks if tasks is not None else ["collect_wood", "collect_drink"]
        prompts = {t: rng.integers(0, 256, (clip_len, 64, 64, 3), dtype=np.uint8) for t in names}
        return cls(policy=policy, prompts=prompts, meta={"untrained": True, "seed": seed})


def save_foundation(path: str | Path, foundation: Foundation) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.half() if v.is_floating_point() else v for k, v in foundation.policy.state_dict().items()}
    bundle = {
        "format": "pgt-foundation/1",
        "config": foundation.policy.cfg.to_dict(),
        "state_dict": state,
        "prompts": {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in foundation.prompts.items()},
        "meta": foundation.meta,
    }
    with atomic_path(path) as tmp:
        torch.save(bundle, tmp)
    return path


def load_foundation(path: str | Path | None = None) -> Foundation:
    """Load a bundle (default: the shipped Crafter checkpoint) as a frozen, eval-mode policy."""
    path = Path(path) if path is not None else DEFAULT_CHECKPOINT
    if not path.exists():
        raise FileNotFoundError(
            f"foundation checkpoint {path} not found; build it with `python -m pgt_core.policy.train`"
        )
    bundle = torch.load(path, map_location="cpu", weights_only=False)
    if bundle.get("format") != "pgt-foundation/1":
        raise ValueError(f"{path} is not a PGT foundation bundle (format={bundle.get('format')!r})")
    policy = GoalConditionedPolicy(PolicyConfig(**bundle["config"]))
    policy.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in bundle["state_dict"].items()})
    policy.eval()
    for p in policy.parameters():
        p.requires_grad_(False)
    prompts = {k: v.numpy() for k, v in bundle["prompts"].items()}
    return Foundation(policy=policy, prompts=prompts, meta=bundle.get("meta", {}))

"""A goal-conditioned policy pi(a_t | o_<=t, z) and a goal encoder z = E(reference clip).

The goal z enters *late*: frames go through a CNN and a GRU memory that never see z, and z
modulates only the action head (FiLM). So for PGT, where the policy is frozen and only z
moves, the expensive per-frame features of a trajectory are computed once and every DPO
step runs the small head (`head_logits`) over cached features. `forward` is the generic
path that recomputes everything and must agree with the cached one.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from pgt_core import LATENT_DIM


@dataclass
class PolicyConfig:
    num_actions: int = 17
    frame_size: int = 64
    feature_dim: int = 256
    memory_dim: int = 256
    latent_dim: int = LATENT_DIM
    head_dim: int = 256
    clip_len: int = 16  # frames in a goal clip

    def to_dict(self) -> dict:
        return asdict(self)


def _frame_cnn(out_dim: int) -> nn.Sequential:
    """Nature-DQN-sized CNN for 64x64 RGB frames (cheap enough to train on a CPU)."""
    return nn.Sequential(
        nn.Conv2d(3, 32, 8, stride=4),  # 64 -> 15
        nn.ReLU(),
        nn.Conv2d(32, 64, 4, stride=2),  # 15 -> 6
        nn.ReLU(),
        nn.Conv2d(64, 64, 3, stride=1),  # 6 -> 4
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(64 * 4 * 4, out_dim),
        nn.ReLU(),
    )


def frames_to_tensor(frames: torch.Tensor) -> torch.Tensor:
    """uint8 [..., H, W, 3] -> float [..., 3, H, W] in [0, 1]."""
    x = frames.float().div_(255.0)
    return x.movedim(-1, -3)


class GoalEncoder(nn.Module):
    """Reference clip [B, K, H, W, 3] -> latent goal z [B, latent_dim].

    Sees each frame, the clip's temporal order (a 1-D conv) and its end-minus-start change,
    because what a clip *achieves* shows in how it ends.
    """

    def __init__(self, cfg: PolicyConfig) -> None:
        super().__init__()
        self.cnn = _frame_cnn(cfg.feature_dim)
        self.temporal = nn.Conv1d(cfg.feature_dim, cfg.feature_dim, kernel_size=3, padding=1)
        self.proj = nn.Sequential(
            nn.Linear(cfg.feature_dim * 3, cfg.latent_dim),
            nn.ReLU(),
            nn.Linear(cfg.latent_dim, cfg.latent_dim),
        )

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        b, k = clip.shape[:2]
        f = self.cnn(frames_to_tensor(clip.reshape(b * k, *clip.shape[2:]))).view(b, k, -1)
        return self._from_features(f)

    def forward_frames(self, frames: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        """The same as `forward(frames[index])`, with the CNN run once per distinct frame: in a training
        batch many clips share frames (clips of one episode overlap), frames [U, H, W, 3], index [B, K]."""
        f = self.cnn(frames_to_tensor(frames))[index]
        return self._from_features(f)

    def _from_features(self, f: torch.Tensor) -> torch.Tensor:
        t = F.relu(self.temporal(f.transpose(1, 2))).transpose(1, 2)
        pooled = torch.cat([t.mean(1), t.amax(1), f[:, -1] - f[:, 0]], dim=-1)
        return self.proj(pooled)


class GoalConditionedPolicy(nn.Module):
    """Frame CNN -> GRU memory (z-free) -> FiLM(z) action head."""

    z_enters_late = True  # frame features and memory do not depend on z: safe to cache

    def __init__(self, cfg: PolicyConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg or PolicyConfig()
        c = self.cfg
        self.frame_encoder = _frame_cnn(c.feature_dim)
        self.memory = nn.GRU(c.feature_dim, c.memory_dim, batch_first=True)
        self.norm = nn.LayerNorm(c.memory_dim)
        self.film = nn.Sequential(nn.Linear(c.latent_dim, c.head_dim), nn.ReLU(),
                                  nn.Linear(c.head_dim, 2 * c.memory_dim))
        self.head = nn.Sequential(nn.Linear(c.memory_dim, c.head_dim), nn.ReLU(), nn.Linear(c.head_dim, c.num_actions))
        self.goal_encoder = GoalEncoder(c)

    # -- z-independent part (cacheable) -----------------------------------------------------
    def frame_features(self, frames: torch.Tensor,
                       state: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """uint8 frames [B, T, H, W, 3] -> memory features [B, T, memory_dim] and the GRU state."""
        b, t = frames.shape[:2]
        x = frames_to_tensor(frames.reshape(b * t, *frames.shape[2:]))
        f = self.frame_encoder(x).view(b, t, -1)
        h, state = self.memory(f, state)
        return self.norm(h), state

    # -- z-dependent head ---------------------------------------------------------------------
    def head_logits(self, features: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """features [B, T, D] with z [B, latent] (one goal per sequence) or [B, T, latent] -> logits [B, T, A]."""
        if z.dim() == 2:
            z = z.unsqueeze(1)
        gamma, beta = self.film(z).chunk(2, dim=-1)
        x = features * (1.0 + gamma) + beta
        return self.head(x)

    def forward(self, frames: torch.Tensor, z: torch.Tensor,
                state: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Generic path: uint8 frames [B, T, H, W, 3], z [B, latent] -> logits [B, T, A], state."""
        features, state = self.frame_features(frames, state)
        return self.head_logits(features, z), state

    @torch.no_grad()
    def act_logits(self, frame: torch.Tensor, z: torch.Tensor,
                   state: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """One step for many environments: frame [B, H, W, 3], z [B, latent] -> logits [B, A], state."""
        logits, state = self.forward(frame.unsqueeze(1), z, state)
        return logits[:, 0], state

    def encode_goal(self, clip: torch.Tensor) -> torch.Tensor:
        """Reference clip uint8 [B, K, H, W, 3] (or [K, H, W, 3]) -> z [B, latent] (or [latent])."""
        single = clip.dim() == 4
        if single:
            clip = clip.unsqueeze(0)
        z = self.goal_encoder(clip)
        return z[0] if single else z

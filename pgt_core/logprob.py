"""Trajectory log-probabilities under the frozen policy: log pi(tau | z) = sum_t log pi(a_t | o_<=t, z).

One forward pass over `frames[:T]` with a fresh recurrent state, as in the rollout.

Two paths that must agree (tests/test_logprob.py):
- generic: `policy.forward(frames, z)` recomputes the CNN and the GRU every call; needed for
  policies that mix z in early (`z_enters_late = False`) and for full fine-tuning, where
  the features change with the weights.
- cached: when z enters late, the frame features do not depend on z, so `FeatureCache`
  computes them once per trajectory (no grad; the policy is frozen) and every DPO step runs
  only `policy.head_logits(features, z)`. This is PGT's speed trick.

Variable lengths are batched with padding at the end plus a mask; the GRU is causal, so the
padding never leaks into real steps.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

from pgt_core.trajectory import Trajectory


def _masked_action_logprob(logits: torch.Tensor, actions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """logits [B, T, A], actions [B, T], mask [B, T] -> per-sequence sum of log pi(a_t) [B]."""
    logp = F.log_softmax(logits.float(), dim=-1).gather(-1, actions.unsqueeze(-1)).squeeze(-1)
    return (logp * mask).sum(-1)


def _latent_rows(z: torch.Tensor, n: int) -> torch.Tensor:
    """[latent] or [n, latent] -> something `head_logits` accepts for n sequences."""
    if z.dim() == 1:
        return z.unsqueeze(0)  # [1, latent]: FiLM broadcasts one goal over the whole batch
    if z.dim() == 2 and z.shape[0] == n:
        return z
    raise ValueError(f"z must be [latent] or [{n}, latent], got {tuple(z.shape)}")


def pad_batch(trajs: Sequence[Trajectory], device: torch.device | str = "cpu"
              ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Padded uint8 frames [B, T, H, W, 3] (the observation before each action), actions [B, T], mask [B, T]."""
    if not trajs:
        raise ValueError("no trajectories")
    t_max = max(t.length for t in trajs)
    if t_max == 0:
        raise ValueError("trajectories must have at least one action")
    shape = trajs[0].frames.shape[1:]
    if 0 in shape:
        raise ValueError("trajectory frames were not kept (keep_frames=False); log-probs need the frames")
    frames = torch.zeros((len(trajs), t_max, *shape), dtype=torch.uint8)
    actions = torch.zeros((len(trajs), t_max), dtype=torch.int64)
    mask = torch.zeros((len(trajs), t_max), dtype=torch.float32)
    for b, t in enumerate(trajs):
        n = t.length
        frames[b, :n] = torch.from_numpy(t.frames[:n])
        actions[b, :n] = torch.from_numpy(t.actions)
        mask[b, :n] = 1.0
    return frames.to(device), actions.to(device), mask.to(device)


class FeatureCache:
    """Frame features of a fixed set of trajectories under a frozen policy, computed once.

    features [N, T_max, D] (zero past each trajectory's end), actions [N, T_max], mask [N, T_max].
    Valid only while the policy's weights do not change.
    """

    def __init__(self, features: torch.Tensor, actions: torch.Tensor, mask: torch.Tensor) -> None:
        self.features, self.actions, self.mask = features, actions, mask
        self.lengths = mask.sum(-1).long()

    def __len__(self) -> int:
        return int(self.features.shape[0])

    @property
    def device(self) -> torch.device:
        return self.features.device

    @classmethod
    @torch.no_grad()
    def build(cls, policy: torch.nn.Module, trajs: Sequence[Trajectory], *, device: torch.device | str = "cpu",
              batch_size: int = 16) -> "FeatureCache":
        """Run the z-free part of the policy (CNN + GRU) over every trajectory once."""
        if not getattr(policy, "z_enters_late", False):
            raise ValueError(f"{type(policy).__name__} mixes z in early; its features cannot be cached")
        if not trajs:
            raise ValueError("no trajectories to cache")
        t_max = max(t.length for t in trajs)
        n = len(trajs)
        feats: torch.Tensor | None = None
        actions = torch.zeros((n, t_max), dtype=torch.int64, device=device)
        mask = torch.zeros((n, t_max), dtype=torch.float32, device=device)
        for start in range(0, n, batch_size):
            chunk = trajs[start:start + batch_size]
            frames, act, m = pad_batch(chunk, device)
            f, _ = policy.frame_features(frames)
            if feats is None:
                feats = torch.zeros((n, t_max, f.shape[-1]), dtype=f.dtype, device=device)
            t = f.shape[1]
            feats[start:start + len(chunk), :t] = f * m.unsqueeze(-1)
            actions[start:start + len(chunk), :t] = act
            mask[start:start + len(chunk), :t] = m
        return cls(feats, actions, mask)

    def logprobs(self, policy: torch.nn.Module, z: torch.Tensor, rows: torch.Tensor | Sequence[int] | None = None
                 ) -> torch.Tensor:
        """log pi(tau | z) for the cached trajectories `rows` (all by default); differentiable in z."""
        if rows is None:
            feats, actions, mask = self.features, self.actions, self.mask
        else:
            rows = torch.as_tensor(rows, dtype=torch.long, device=self.device)
            t = int(self.lengths[rows].max()) if len(rows) else 0
            feats, actions, mask = self.features[rows, :t], self.actions[rows, :t], self.mask[rows, :t]
        logits = policy.head_logits(feats, _latent_rows(z.to(self.device), feats.shape[0]))
        return _masked_action_logprob(logits, actions, mask)


def trajectory_logprobs(policy: torch.nn.Module, trajs: Sequence[Trajectory], z: torch.Tensor, *,
                        cached: FeatureCache | None = None, batch_size: int = 16,
                        device: torch.device | str | None = None) -> torch.Tensor:
    """log pi(tau_i | z) for each trajectory, float32 [N]; differentiable in z (and in the weights on the generic path).

    z: [latent] for all trajectories or [N, latent].
    cached: a `FeatureCache` built from exactly these trajectories -> head-only fast path.
    """
    if cached is not None:
        if not getattr(policy, "z_enters_late", False):
            raise ValueError(f"{type(policy).__name__} mixes z in early; use the generic path (cached=None)")
        if len(cached) != len(trajs):
            raise ValueError(f"the cache holds {len(cached)} trajectories, got {len(trajs)}")
        return cached.logprobs(policy, z)
    if device is None:
        device = next(policy.parameters()).device
    z = z.to(device)
    _latent_rows(z, len(trajs))  # validate the shape once
    out = []
    for start in range(0, len(trajs), batch_size):
        chunk = trajs[start:start + batch_size]
        frames, actions, mask = pad_batch(chunk, device)
        zc = z.unsqueeze(0).expand(len(chunk), -1) if z.dim() == 1 else z[start:start + len(chunk)]
        logits, _ = policy(frames, zc)
        out.append(_masked_action_logprob(logits, actions, mask))
    return torch.cat(out) if out else torch.zeros(0, device=device)

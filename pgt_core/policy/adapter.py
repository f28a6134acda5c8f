"""What PGT needs from a goal-conditioned policy, and a template for wrapping an external one.

PGT tunes only the latent z of a frozen policy, so any policy that takes a latent in and
gives action log-probs out can be tuned: our Crafter `GoalConditionedPolicy`, or a
GROOT / STEVE-1 style Minecraft policy (a video/text goal encoder produces z; a
transformer or VPT policy conditioned on z produces actions). The contract is the
`LatentPolicy` protocol; the rollout engine and the log-prob code only use these members.

Two tiers:
- `LatentPolicy` (generic path): `forward(frames, z, state)` recomputes everything per call;
  correct for policies that mix z into the visual encoder or memory (GROOT, STEVE-1).
- `CachedLatentPolicy` (fast path): the policy also splits into z-free `frame_features`
  and a z-dependent `head_logits`, and declares `z_enters_late = True`. Then a DPO step
  reruns only the head over cached features. `supports_feature_cache` decides which path.

Recurrent state contract (what `pgt_core.rollout` relies on): the state is one tensor
whose dimension 1 is the batch (shape [L, B, cfg.memory_dim]); all zeros means "fresh
episode"; `None` on the first call. An external policy whose state is a nested structure
(e.g. VPT's per-layer key/value caches) packs it into such a tensor in its adapter, or
keeps it inside the adapter keyed by slot.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Protocol, runtime_checkable

import torch
import torch.nn as nn

from pgt_core import LATENT_DIM


@runtime_checkable
class PolicySpec(Protocol):
    """The sizes the rollout and tuning code read from `policy.cfg`."""

    latent_dim: int
    num_actions: int
    memory_dim: int


@runtime_checkable
class LatentPolicy(Protocol):
    """A frozen policy pi(a_t | o_<=t, z) with a goal encoder z = E(clip): latent in, action logits out."""

    cfg: PolicySpec
    training: bool

    def encode_goal(self, clip: torch.Tensor) -> torch.Tensor:
        """uint8 clip [B, K, H, W, 3] (or [K, H, W, 3]) -> z [B, latent_dim] (or [latent_dim])."""

    def forward(self, frames: torch.Tensor, z: torch.Tensor,
                state: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """uint8 frames [B, T, H, W, 3], z [B, latent_dim] -> (logits [B, T, num_actions], state).

        Logits are unnormalised; log-probs are `log_softmax(logits, -1)`.
        """

    def act_logits(self, frame: torch.Tensor, z: torch.Tensor,
                   state: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """One step for B environments: frame [B, H, W, 3] -> (logits [B, num_actions], state)."""

    def eval(self) -> Any: ...

    def train(self, mode: bool = True) -> Any: ...


@runtime_checkable
class CachedLatentPolicy(LatentPolicy, Protocol):
    """A `LatentPolicy` whose goal enters after the frame encoder and memory (features are z-free)."""

    z_enters_late: bool

    def frame_features(self, frames: torch.Tensor,
                       state: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """uint8 frames [B, T, H, W, 3] -> (features [B, T, D], state); must not depend on z."""

    def head_logits(self, features: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """features [B, T, D], z [B, latent_dim] -> logits [B, T, num_actions]."""


def supports_feature_cache(policy: Any) -> bool:
    """True when the cached (features once, head per DPO step) path is valid for `policy`."""
    return bool(getattr(policy, "z_enters_late", False)) and isinstance(policy, CachedLatentPolicy)


def check_latent_policy(policy: Any) -> None:
    """Raise TypeError naming what is missing when `policy` does not meet `LatentPolicy`."""
    methods = ("encode_goal", "forward", "act_logits", "eval", "train")
    missing = [m for m in methods if not callable(getattr(policy, m, None))]
    cfg = getattr(policy, "cfg", None)
    sizes = ("latent_dim", "num_actions", "memory_dim")
    missing += [f"cfg.{f}" for f in sizes if not isinstance(getattr(cfg, f, None), int)]
    if missing:
        raise TypeError(f"{type(policy).__name__} is not a LatentPolicy: missing {', '.join(missing)}")


@dataclass
class AdapterSpec:
    """Sizes an adapter reports as `cfg` (same fields as `PolicyConfig` uses)."""

    latent_dim: int = LATENT_DIM
    num_actions: int = 17
    memory_dim: int = 1


EncodeFn = Callable[[torch.Tensor], torch.Tensor]
StepFn = Callable[[torch.Tensor, torch.Tensor, Any], tuple[Any, Any]]
ToLogitsFn = Callable[[Any], torch.Tensor]


class ExternalPolicyAdapter(nn.Module):
    """Template: wrap an external goal-conditioned policy (GROOT / STEVE-1 style) as a `LatentPolicy`.

    You provide three callables around the external model:

    encode(clip) -> z
        uint8 [B, K, H, W, 3] -> [B, latent_dim]. STEVE-1: MineCLIP's video encoder on the
        clip (512-d, the same size as our latents); GROOT: its video goal encoder.
    step(frames, z, state) -> (raw_output, state)
        uint8 [B, T, H, W, 3] and z [B, latent_dim] -> the model's own action output for
        each step plus its recurrent state (packed per the module docstring). Resize frames
        and convert to the model's input layout here.
    to_logits(raw_output) -> [B, T, num_actions]
        Map the model's action distribution onto the environment's discrete action set
        (e.g. `pgt_core.envs.minerl_env.MINERL_ACTIONS`). For VPT's factored head (a joint
        "buttons" categorical and a "camera" categorical) the log-prob of discrete action a
        is log p(buttons = b_a) + log p(camera = c_a), where (b_a, c_a) encode action a; any
        unnormalised scores work because callers apply log_softmax.

    Example (STEVE-1, sketched; names from its public code)::

        agent = load_steve1_agent(...)           # frozen MineRLAgent with a goal-conditioned VPT policy
        mineclip = load_mineclip(...)
        adapter = ExternalPolicyAdapter(
            encode=lambda clip: mineclip.encode_video(to_mineclip(clip)),
            step=lambda frames, z, state: agent.policy.act_sequence(frames, z, state),
            to_logits=lambda out: vpt_to_discrete(out, MINERL_ACTIONS),
            spec=AdapterSpec(latent_dim=512, num_actions=len(MINERL_ACTIONS), memory_dim=...),
            modules=[agent.policy, mineclip],     # so .eval()/.to() reach the wrapped weights
        )

    The adapter does not declare `z_enters_late`, so tuning takes the generic (uncached) path.
    """

    z_enters_late = False

    def __init__(self, encode: EncodeFn, step: StepFn, to_logits: ToLogitsFn, spec: AdapterSpec,
                 modules: list[nn.Module] | None = None) -> None:
        super().__init__()
        self.cfg = spec
        self._encode = encode
        self._step = step
        self._to_logits = to_logits
        self.wrapped = nn.ModuleList(modules or [])
        for p in self.wrapped.parameters():
            p.requires_grad_(False)  # the policy is frozen; only z is tuned

    def encode_goal(self, clip: torch.Tensor) -> torch.Tensor:
        single = clip.dim() == 4
        z = self._encode(clip.unsqueeze(0) if single else clip)
        return z[0] if single else z

    def forward(self, frames: torch.Tensor, z: torch.Tensor,
                state: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        raw, state = self._step(frames, z, state)
        logits = self._to_logits(raw)
        b, t = frames.shape[:2]
        if logits.shape[:2] != (b, t) or logits.shape[-1] != self.cfg.num_actions:
            raise ValueError(f"to_logits must return [{b}, {t}, {self.cfg.num_actions}], got {tuple(logits.shape)}")
        return logits, state

    @torch.no_grad()
    def act_logits(self, frame: torch.Tensor, z: torch.Tensor,
                   state: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        logits, state = self.forward(frame.unsqueeze(1), z, state)
        return logits[:, 0], state

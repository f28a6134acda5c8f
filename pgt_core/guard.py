"""A guard against collapse: tuning may move z only as far as the policy's behaviour allows.

Why: at person-sized budgets DPO on z can drive the pair loss down (held-out included) by pushing
z far from where it started, into a region where the frozen policy behaves badly: measured on
place_table, 50 graded episodes took success from 40% to 3% while the held-out loss kept falling.
The pair loss cannot see it; behaviour can. The guard measures the **behavioural KL** of the latent:
the mean over the round's own recorded states of KL(pi(. | o_t, z_start) || pi(. | o_t, z)), in nats
per step (cheap with cached features: one head pass over a fixed sample of steps). After every
optimiser step z is pulled back along the segment towards z_start until the KL is within `max_kl`
(bisection; z_start itself has KL 0), and optionally into an L2 ball of radius `max_l2 * |z_start|`.
So no epoch, and no returned latent, ever exceeds the limits.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from pgt_core.logprob import FeatureCache, pad_batch
from pgt_core.trajectory import Trajectory

LogitsFn = Callable[[torch.Tensor], torch.Tensor]
"""z -> action logits [M, A] at the meter's sampled steps."""


@dataclass(frozen=True)
class Guard:
    """Limits on how far tuning may move z from its start. None switches a limit off.

    max_kl: mean per-step KL(pi(.|o, z_start) || pi(.|o, z)) on the tuning trajectories, nats.
    max_l2: ||z - z_start|| / |z_start|.
    kl_per_unit: when set, the KL limit grows with the evidence: min(max_kl, kl_per_unit * units), units
        being the answers' total weight (one per decision a person made, `pgt_core.feedback`).
    sample_steps: recorded steps the KL is measured on (a fixed seeded sample; all when fewer).
    """

    max_kl: float | None = 0.02
    max_l2: float | None = None
    kl_per_unit: float | None = None
    sample_steps: int = 4096
    bisection_steps: int = 12

    def to_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


    def kl_limit(self, units: float) -> float | None:
        """The KL limit for answers weighing `units` in all."""
        if self.kl_per_unit is None:
            return self.max_kl
        scaled = self.kl_per_unit * units
        return scaled if self.max_kl is None else min(self.max_kl, scaled)


NO_GUARD = Guard(max_kl=None, max_l2=None)


class BehaviourMeter:
    """Behavioural KL of latents against a fixed start latent, on a fixed sample of recorded steps."""

    def __init__(self, logits_of: LogitsFn, z_start: torch.Tensor) -> None:
        self.logits_of = logits_of
        self.z_start = z_start.detach()
        with torch.no_grad():
            self.start_logp = F.log_softmax(logits_of(self.z_start).float(), dim=-1)

    @classmethod
    def build(cls, policy: torch.nn.Module, trajs: Sequence[Trajectory], rows: Sequence[int], z_start: torch.Tensor,
              *, cache: FeatureCache | None, sample_steps: int = 4096, seed: int = 0) -> "BehaviourMeter":
        """Sample up to `sample_steps` steps of the trajectories `rows` (cached features, else frames)."""
        rng = np.random.default_rng(seed)
        rows = sorted(int(r) for r in rows)
        if cache is not None:
            lengths = cache.lengths[rows].cpu().numpy()
            flat = np.concatenate([np.stack([np.full(n, r), np.arange(n)], 1) for r, n in zip(rows, lengths,
                                                                                              strict=True)])
            if len(flat) > sample_steps:
                flat = flat[np.sort(rng.choice(len(flat), sample_steps, replace=False))]
            r_idx = torch.as_tensor(flat[:, 0], device=cache.device)
            t_idx = torch.as_tensor(flat[:, 1], device=cache.device)
            feats = cache.features[r_idx, t_idx].unsqueeze(1)  # [M, 1, D]: one step per sequence

            def logits_of(z: torch.Tensor) -> torch.Tensor:
                return policy.head_logits(feats, z.reshape(1, -1).to(feats.device))[:, 0]

            return cls(logits_of, z_start)
        # generic path: a few whole trajectories through the full network (z may enter early)
        budget, chosen = 0, []
        for r in rng.permutation(rows):
            if budget >= sample_steps:
                break
            chosen.append(trajs[int(r)])
            budget += trajs[int(r)].length
        frames, _, mask = pad_batch(chosen, next(policy.parameters()).device)
        keep = mask.bool()

        def logits_generic(z: torch.Tensor) -> torch.Tensor:
            logits, _ = policy(frames, z.reshape(1, -1).expand(len(chosen), -1).to(frames.device))
            return logits[keep]

        return cls(logits_generic, z_start)

    @torch.no_grad()
    def kl(self, z: torch.Tensor) -> float:
        logp = F.log_softmax(self.logits_of(z.detach()).float(), dim=-1)
        return float((self.start_logp.exp() * (self.start_logp - logp)).sum(-1).mean())


def _clip_l2(z: torch.Tensor, z_start: torch.Tensor, radius: float) -> torch.Tensor:
    d = z - z_start
    n = float(d.norm())
    return z if n <= radius else z_start + d * (radius / n)


@torch.no_grad()
def enforce(guard: Guard, z: torch.Tensor, z_start: torch.Tensor, meter: BehaviourMeter | None,
            max_kl: float | None = None) -> float | None:
    """Pull z (in place) back within the guard's L2 limit and the KL limit `max_kl` (default: the guard's);
    returns its behavioural KL (None without a meter)."""
    max_kl = guard.max_kl if max_kl is None else max_kl
    if guard.max_l2 is not None:
        z.copy_(_clip_l2(z, z_start, guard.max_l2 * float(z_start.norm())))
    if meter is None:
        return None
    kl = meter.kl(z)
    if max_kl is None or kl <= max_kl or not math.isfinite(kl):
        return kl  # a non-finite policy output is the loss check's to report (TuningError), not to hide
    d = (z - z_start).clone()
    lo, hi, kl_lo = 0.0, 1.0, 0.0
    for _ in range(guard.bisection_steps):
        mid = (lo + hi) / 2
        k = meter.kl(z_start + mid * d)
        if k <= max_kl:
            lo, kl_lo = mid, k
        else:
            hi = mid
    z.copy_(z_start + lo * d)
    return kl_lo

"""What a tuning run did to the latent, in numbers and one plain sentence.

Why: a held-out loss that keeps falling says nothing about behaviour, and a "best epoch" that is
always the last one means the stopping rule never stopped anything. The review shows how far z
moved from where it started (L2, cosine, norms) and says which of the three cases the best epoch is:
the first (nothing beat the start: the latent is unchanged), the last (still improving when the
epochs ran out) or one in between (the held-out rule stopped it).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import torch

BestEpochKind = Literal["first", "last", "interior"]


@dataclass(frozen=True)
class LatentDrift:
    l2: float  # ||z - z_start||
    cosine: float  # cos(z, z_start)
    norm: float  # |z|
    start_norm: float  # |z_start|

    @property
    def relative_l2(self) -> float:
        """||z - z_start|| / |z_start|: how far z moved relative to its own size."""
        return self.l2 / self.start_norm if self.start_norm > 0 else float("inf") if self.l2 > 0 else 0.0

    def to_dict(self) -> dict[str, float]:
        return {**asdict(self), "relative_l2": self.relative_l2}


def latent_drift(z: torch.Tensor, z_start: torch.Tensor) -> LatentDrift:
    """How far z is from the latent tuning started at."""
    z, z0 = z.detach().double().reshape(-1).cpu(), z_start.detach().double().reshape(-1).cpu()
    n, n0 = float(z.norm()), float(z0.norm())
    cos = float(torch.dot(z, z0) / (n * n0)) if n > 0 and n0 > 0 else float("nan")
    return LatentDrift(float((z - z0).norm()), cos, n, n0)


def best_epoch_kind(best_epoch: int, epochs: int) -> BestEpochKind:
    if best_epoch == 0:
        return "first"
    return "last" if best_epoch >= epochs else "interior"


def best_epoch_note(best_epoch: int, epochs: int, *, held_out: bool = True) -> str:
    """A plain statement of what the best-epoch rule did."""
    rule = "held-out loss" if held_out else "training loss (no held-out pairs)"
    kind = best_epoch_kind(best_epoch, epochs)
    if not held_out:
        where = {"first": "epoch 0 (the latent is unchanged)", "last": f"the last epoch ({epochs})",
                 "interior": f"epoch {best_epoch} of {epochs}"}[kind]
        return f"no held-out pairs: the lowest training loss, {where}, is returned; the guard bounds how far z moved"
    if kind == "first":
        return f"best epoch is 0: no epoch beat the start latent on {rule}; the latent is unchanged"
    if kind == "last":
        return (f"best epoch is the last one ({epochs}): {rule} was still improving when the epochs ran out, "
                "so the stopping rule stopped nothing")
    return f"best epoch {best_epoch} of {epochs}: {rule} rose after it, so tuning stopped there"

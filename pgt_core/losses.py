"""Preference losses as plain functions over trajectory log-probs (TRL's DPO-loss style).

Inputs are per-pair sums of log pi(a_t | o_<=t, z) for the preferred (w) and rejected (l)
trajectory under the latent being tuned (pi_*) and under the reference latent (ref_*).
Keeping them plain functions means the latent tuner, the full fine-tuning baseline and the
tests all share one definition. Filtering ties/both_bad out of DPO happens where pairs become
index tensors (`pgt_core.pairs.preference_indices`), not here.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

Metrics = dict[str, float]


def _check(*tensors: torch.Tensor) -> None:
    n = tensors[0].shape
    if any(t.shape != n for t in tensors) or tensors[0].dim() != 1:
        raise ValueError(f"log-prob inputs must be 1-D tensors of one shape, got {[tuple(t.shape) for t in tensors]}")
    if n[0] == 0:
        raise ValueError("no pairs: a preference loss needs at least one decisive pair")


def _reward_metrics(pi_w: torch.Tensor, pi_l: torch.Tensor, ref_w: torch.Tensor, ref_l: torch.Tensor,
                    beta: float) -> Metrics:
    """DPO's implicit rewards beta * (log pi - log ref), their margin and how often chosen > rejected.

    accuracy counts a zero margin as half right: at the reference itself every margin is exactly 0,
    and the latent has no opinion there (a coin flip), not a wrong one. `zero_margin` is that share.
    """
    chosen = beta * (pi_w - ref_w).detach()
    rejected = beta * (pi_l - ref_l).detach()
    margin = chosen - rejected
    return {
        "chosen_reward": float(chosen.mean()),
        "rejected_reward": float(rejected.mean()),
        "margin": float(margin.mean()),
        "accuracy": float(((margin > 0).float() + 0.5 * (margin == 0).float()).mean()),
        "zero_margin": float((margin == 0).float().mean()),
    }


def _mean(losses: torch.Tensor, weights: torch.Tensor | None) -> torch.Tensor:
    """Mean over pairs, or the weighted mean (one answer's pairs share its weight)."""
    if weights is None:
        return losses.mean()
    w = weights.to(losses)
    return (losses * w).sum() / w.sum()


def dpo_loss(pi_w: torch.Tensor, pi_l: torch.Tensor, ref_w: torch.Tensor, ref_l: torch.Tensor,
             beta: float = 0.1, label_smoothing: float = 0.0, weights: torch.Tensor | None = None
             ) -> tuple[torch.Tensor, Metrics]:
    """-log sigmoid(beta * [(pi_w - ref_w) - (pi_l - ref_l)]), averaged over pairs (weighted by `weights`).

    label_smoothing > 0 is conservative DPO (assumes that fraction of labels is flipped).
    """
    _check(pi_w, pi_l, ref_w, ref_l)
    logits = (pi_w - pi_l) - (ref_w - ref_l)
    losses = -(1.0 - label_smoothing) * F.logsigmoid(beta * logits) - label_smoothing * F.logsigmoid(-beta * logits)
    return _mean(losses, weights), _reward_metrics(pi_w, pi_l, ref_w, ref_l, beta)


def ipo_loss(pi_w: torch.Tensor, pi_l: torch.Tensor, ref_w: torch.Tensor, ref_l: torch.Tensor,
             beta: float = 0.1, ties: torch.Tensor | None = None, weights: torch.Tensor | None = None
             ) -> tuple[torch.Tensor, Metrics]:
    """IPO: (h - 1/(2 beta))^2 with h the log-ratio difference; tie pairs regress h to 0.

    Unlike DPO, IPO can use ties: "equally good" means the two log-ratios should match.
    ties: bool [P], True where the pair is a tie (its w/l orientation is arbitrary).
    """
    _check(pi_w, pi_l, ref_w, ref_l)
    h = (pi_w - pi_l) - (ref_w - ref_l)
    target = torch.full_like(h, 1.0 / (2.0 * beta))
    if ties is not None:
        target = torch.where(ties.to(h.device).bool(), torch.zeros_like(h), target)
    loss = _mean((h - target) ** 2, weights)
    decisive = ~ties.bool() if ties is not None else torch.ones_like(h, dtype=torch.bool)
    metrics = _reward_metrics(pi_w[decisive], pi_l[decisive], ref_w[decisive], ref_l[decisive], beta) \
        if decisive.any() else {"chosen_reward": 0.0, "rejected_reward": 0.0, "margin": 0.0, "accuracy": 0.5,
                                "zero_margin": 1.0}
    return loss, metrics


def bc_positive_loss(logp_w: torch.Tensor, lengths: torch.Tensor | None = None) -> tuple[torch.Tensor, Metrics]:
    """Behaviour cloning on preferred trajectories only: mean negative log-likelihood.

    With `lengths`, the NLL is per step, so long and short episodes weigh the same and the
    learning rate does not depend on the task's time limit.
    """
    _check(logp_w)
    nll = -logp_w if lengths is None else -logp_w / lengths.to(logp_w).clamp(min=1)
    loss = nll.mean()
    return loss, {"nll": float(loss.detach())}

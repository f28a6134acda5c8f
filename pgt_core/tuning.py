"""Preference Goal Tuning: optimise only the latent z from preference pairs; plus the baselines.

- `tune_latent`: z is the only leaf with requires_grad; the policy's weights stay bit-identical.
  Reference log-probs under z0 are computed once. Adam, a held-out split of the pairs, and the
  z with the lowest held-out loss is kept (epoch 0 = z0 itself, so tuning never returns
  something measurably worse than where it started on held-out pairs).
  loss="dpo" (default), "ipo" (ties used with target margin 0) or "bc_positive" (maximise the
  log-likelihood of preferred trajectories only; the no-negatives baseline).
- `finetune_policy`: the weight-tuning baselines; a deep copy of the policy has all its weights
  (full fine-tuning), LoRA adapters or only its biases (BitFit; `pgt_core.peft`) trained with
  DPO under the fixed z0, with the frozen original as reference.

A non-finite loss raises `TuningError`; the worker relies on it to keep the previous latent.
"""
from __future__ import annotations

import copy
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterator, Literal, Sequence

import numpy as np
import torch

from pgt_core.diagnostics import BestEpochKind, LatentDrift, best_epoch_kind, best_epoch_note, latent_drift
from pgt_core.guard import NO_GUARD, BehaviourMeter, Guard, enforce
from pgt_core.logprob import FeatureCache, trajectory_logprobs
from pgt_core.losses import Metrics, bc_positive_loss, dpo_loss, ipo_loss
from pgt_core.pairs import Pair
from pgt_core.peft import PeftConfig, make_student, trainable_count
from pgt_core.trajectory import Trajectory
from pgt_core.tuning_data import Items, SplitBy, TuningError, group_batches, items_from_pairs, split_items

__all__ = ["DEFAULT_GUARD", "EpochStats", "FinetuneResult", "Guard", "TuneResult", "TuningError", "finetune_policy",
           "tune_latent"]

DEFAULT_GUARD = Guard(max_kl=0.1, kl_per_unit=0.001)
"""What `tune_latent` uses unless told otherwise: a KL limit of 0.001 nats/step per unit of evidence (one
per decision a person made), at most 0.1. Chosen with benchmarks/bench_label_budget.py at 5 and 10 minutes
of a 10%-noisy simulated person on 4 tasks (README, "People-sized rounds"): unguarded tuning took
make_wood_sword 27 points below z0 from 37 pairwise answers; this limit kept every task within noise of
z0 and gained as much on average as the best fixed limits."""

LossName = Literal["dpo", "ipo", "bc_positive"]
LOSSES: tuple[str, ...] = ("dpo", "ipo", "bc_positive")
Progress = Callable[[int, int], None]
"""progress(epochs done, epochs)."""
Scorer = Callable[[torch.Tensor], torch.Tensor]
"""rows (trajectory indices) -> log pi(tau | current parameters) for those rows."""


@dataclass
class EpochStats:
    epoch: int
    train_loss: float
    val_loss: float | None
    train_metrics: Metrics = field(default_factory=dict)
    val_metrics: Metrics = field(default_factory=dict)
    z_l2: float | None = None  # ||z - z_start|| after this epoch (latent tuning only)
    kl: float | None = None  # behavioural KL to the start after this epoch (guarded latent tuning only)


@dataclass
class _Fit:
    history: list[EpochStats]
    best_epoch: int
    best_loss: float
    n_train: int
    n_val: int
    seconds: float


@dataclass
class TuneResult:
    z: torch.Tensor  # the best latent, float32 [latent] on the CPU
    history: list[EpochStats]
    best_epoch: int  # 0 means z0 itself was best on held-out pairs
    best_val_loss: float
    loss: str
    n_train: int
    n_val: int
    seconds: float
    epochs: int = 0  # epochs run
    drift: LatentDrift | None = None  # the returned z against the start
    final_drift: LatentDrift | None = None  # the last epoch's z against the start (where tuning went)
    kl: float | None = None  # behavioural KL of the returned z to the start (nats per step)
    guard: Guard | None = None
    guard_steps: int = 0  # optimiser steps the guard pulled back
    kl_limit: float | None = None  # the KL limit this run had (the guard's, scaled by the evidence if it says so)
    split_by: str = "group"

    @property
    def best_epoch_kind(self) -> BestEpochKind:
        """'first' (unchanged), 'last' (still improving) or 'interior' (the held-out rule stopped it)."""
        return best_epoch_kind(self.best_epoch, self.epochs)

    @property
    def diagnosis(self) -> str:
        """Plain statement for the job log and the review: the best-epoch case and how far z moved."""
        text = best_epoch_note(self.best_epoch, self.epochs, held_out=self.n_val > 0)
        if self.drift is not None:
            d = self.drift
            text += (f"; z moved {d.l2:.3g} (L2, {d.relative_l2:.0%} of |z0|), cosine to the start {d.cosine:.3f}, "
                     f"|z| {d.start_norm:.3g} -> {d.norm:.3g}")
        if self.kl is not None:
            text += f"; behavioural KL to the start {self.kl:.3g} nats/step"
        if self.guard is not None and self.guard_steps:
            text += (f"; the guard (max KL {self.kl_limit:.3g}, max L2 {self.guard.max_l2}) pulled z back in "
                     f"{self.guard_steps} step(s)" if self.kl_limit is not None else
                     f"; the guard (max L2 {self.guard.max_l2}) pulled z back in {self.guard_steps} step(s)")
        return text

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the latent itself as a list of floats)."""
        d = {k: v for k, v in asdict(self).items() if k not in ("z", "drift", "final_drift", "guard")}
        d["guard"] = self.guard.to_dict() if self.guard is not None else None
        d["z"] = self.z.tolist()
        d["drift"] = self.drift.to_dict() if self.drift is not None else None
        d["final_drift"] = self.final_drift.to_dict() if self.final_drift is not None else None
        d["best_epoch_kind"], d["diagnosis"] = self.best_epoch_kind, self.diagnosis
        return d


@dataclass
class FinetuneResult:
    policy: torch.nn.Module  # the fine-tuned copy (frozen, eval mode); the original is untouched
    history: list[EpochStats]
    best_epoch: int
    best_val_loss: float
    n_train: int
    n_val: int
    seconds: float
    method: str = "full"
    trainable: int = 0  # parameters trained


# -- one loss over a batch of items ----------------------------------------------------------------
def _batch_loss(kind: str, beta: float, items: Items, score: Scorer, ref: torch.Tensor,
                lengths: torch.Tensor) -> tuple[torch.Tensor, Metrics]:
    if kind == "bc_positive":
        rows = torch.unique(items.w)
        lp = score(rows)
        return bc_positive_loss(lp, lengths[rows].to(lp.device))
    rows = torch.unique(torch.cat([items.w, items.lose]))
    lp = score(rows)
    pos = torch.full((int(rows.max()) + 1,), -1, dtype=torch.long)
    pos[rows] = torch.arange(len(rows))
    pos = pos.to(lp.device)
    pi_w, pi_l = lp[pos[items.w.to(lp.device)]], lp[pos[items.lose.to(lp.device)]]
    ref_w, ref_l = ref[items.w].to(lp.device), ref[items.lose].to(lp.device)
    if kind == "dpo":
        return dpo_loss(pi_w, pi_l, ref_w, ref_l, beta, weights=items.weight)
    return ipo_loss(pi_w, pi_l, ref_w, ref_l, beta, ties=items.tie, weights=items.weight)


def _checked(loss: torch.Tensor, where: str) -> torch.Tensor:
    if not torch.isfinite(loss).all():
        raise TuningError(f"non-finite loss ({float(loss.detach()):.4g}) {where}; the previous latent/policy is kept")
    return loss


# -- the shared optimisation loop ------------------------------------------------------------------
def _fit(kind: str, beta: float, items: Items, score: Scorer, ref: torch.Tensor, lengths: torch.Tensor,
         optimizer: torch.optim.Optimizer, *, epochs: int, val_fraction: float, batch_pairs: int | None,
         seed: int, snapshot: Callable[[], None], progress: Progress | None, split_by: SplitBy = "group",
         after_step: Callable[[], None] | None = None,
         measure: Callable[[], dict[str, float | None]] | None = None) -> _Fit:
    """Adam over batches of whole groups; `after_step()` after every optimiser step (the guard);
    after every epoch the held-out loss decides whether to `snapshot()`; `measure()` adds to EpochStats."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    train_idx, val_idx = split_items(items, val_fraction, rng, split_by)
    train, val = items.take(train_idx), items.take(val_idx)
    extra: Callable[[], dict[str, float | None]] = measure or dict

    def evaluate(part: Items, name: str) -> tuple[float, Metrics]:
        with torch.no_grad():
            loss, metrics = _batch_loss(kind, beta, part, score, ref, lengths)
        return float(_checked(loss, f"on the {name} pairs")), metrics

    train_loss, train_metrics = evaluate(train, "training")
    val_loss, val_metrics = evaluate(val, "held-out") if len(val) else (None, {})
    history = [EpochStats(0, train_loss, val_loss, train_metrics, val_metrics, **extra())]
    best_epoch, best = 0, val_loss if val_loss is not None else train_loss
    snapshot()
    for epoch in range(1, epochs + 1):
        total, sums, seen = 0.0, {}, 0
        for positions in group_batches(train, batch_pairs, rng):
            batch = train.take(positions)
            loss, metrics = _batch_loss(kind, beta, batch, score, ref, lengths)
            _checked(loss, f"at epoch {epoch}")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if after_step is not None:
                after_step()
            total += float(loss.detach()) * len(batch)
            seen += len(batch)
            for k, v in metrics.items():
                sums[k] = sums.get(k, 0.0) + v * len(batch)
        train_loss = total / seen
        train_metrics = {k: v / seen for k, v in sums.items()}
        val_loss, val_metrics = evaluate(val, "held-out") if len(val) else (None, {})
        history.append(EpochStats(epoch, train_loss, val_loss, train_metrics, val_metrics, **extra()))
        current = val_loss if val_loss is not None else train_loss
        if current < best:
            best_epoch, best = epoch, current
            snapshot()
        if progress is not None:
            progress(epoch, epochs)
    return _Fit(history, best_epoch, best, len(train), len(val), time.perf_counter() - t0)


@contextmanager
def _frozen(policy: torch.nn.Module) -> Iterator[None]:
    """No weight of `policy` receives a gradient inside the block (and eval mode); restored after."""
    flags = [p.requires_grad for p in policy.parameters()]
    was_training = policy.training
    policy.eval()
    for p in policy.parameters():
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, f in zip(policy.parameters(), flags, strict=True):
            p.requires_grad_(f)
        policy.train(was_training)


def _device(policy: torch.nn.Module, device: str | torch.device | None) -> torch.device:
    current = next(policy.parameters()).device
    if device is None or torch.device(device) == current:
        return current
    policy.to(device)
    return torch.device(device)


def _scorer(policy: torch.nn.Module, trajs: Sequence[Trajectory], cache: FeatureCache | None,
            z: Callable[[], torch.Tensor]) -> Scorer:
    """rows -> log pi(tau | z()) through the cache when there is one, else the generic forward pass."""
    if cache is not None:
        return lambda rows: cache.logprobs(policy, z(), rows)
    return lambda rows: trajectory_logprobs(policy, [trajs[int(r)] for r in rows], z())


def _as_latent(z0: torch.Tensor, device: torch.device) -> torch.Tensor:
    z0 = torch.as_tensor(z0).detach().float().reshape(-1).to(device)
    if not torch.isfinite(z0).all():
        raise TuningError("the starting latent z0 contains NaN or inf")
    return z0


def _reference(score: Scorer, items: Items, n: int) -> torch.Tensor:
    """log pi(tau | reference) for every trajectory the items use (NaN elsewhere), computed once."""
    rows = items.rows()
    ref = torch.full((n,), float("nan"))
    with torch.no_grad():
        ref[rows] = score(rows).float().cpu()
    if not torch.isfinite(ref[rows]).all():
        raise TuningError("reference log-probs are not finite; check the latent and the trajectories")
    return ref


def _lengths(trajs: Sequence[Trajectory]) -> torch.Tensor:
    return torch.tensor([t.length for t in trajs], dtype=torch.float32)


def _prepare(policy: torch.nn.Module, trajs: Sequence[Trajectory], pairs: Sequence[Pair], z0: torch.Tensor,
             loss: str, device: str | torch.device | None, cached: bool | FeatureCache
             ) -> tuple[torch.device, torch.Tensor, Items, FeatureCache | None, torch.Tensor]:
    """Validate the inputs, turn pairs into rows, pick the log-prob path (cache or generic) and
    compute the reference log-probs under z0 once, with the policy frozen."""
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    dev = _device(policy, device)
    z0 = _as_latent(z0, dev)
    items = items_from_pairs(trajs, pairs, loss)
    with _frozen(policy):
        cache: FeatureCache | None = None
        if isinstance(cached, FeatureCache):
            if len(cached) != len(trajs):
                raise ValueError(f"the cache holds {len(cached)} trajectories, got {len(trajs)}")
            cache = cached
        elif cached and getattr(policy, "z_enters_late", False):
            cache = FeatureCache.build(policy, trajs, device=dev)
        ref = _reference(_scorer(policy, trajs, cache, lambda: z0), items, len(trajs)) \
            if loss != "bc_positive" else torch.zeros(len(trajs))
    return dev, z0, items, cache, ref


def tune_latent(policy: torch.nn.Module, trajs: Sequence[Trajectory], pairs: Sequence[Pair], z0: torch.Tensor, *,
                loss: LossName = "dpo", beta: float = 0.1, lr: float = 1e-2, epochs: int = 50,
                val_fraction: float = 0.0, batch_pairs: int | None = None, seed: int = 0,
                cached: bool | FeatureCache = True, device: str | torch.device | None = None,
                progress: Progress | None = None, split_by: SplitBy = "group",
                guard: Guard | None = DEFAULT_GUARD) -> TuneResult:
    """Tune z (starting at, and referenced to, z0) on preference pairs over `trajs`; the policy is untouched.

    pairs index `trajs` by position, or by `traj.meta['id']` when they hold ids; a pair's `group`
    and `weight` (`pgt_core.feedback`) make one answer one unit: held out together, batched together,
    weighed as one.
    batch_pairs: about this many pairs per Adam step, whole groups (None = all training pairs: one step
    per epoch).
    val_fraction: share held out to pick the best epoch. 0 by default: at people-sized budgets the
    held-out pairs are too few to pick anything (best epoch 0 = no change, or the last), and the
    held-out loss does not track success; the guard bounds where z may go instead and every
    answer trains. With 0, the epoch with the lowest training loss is returned.
    split_by: "group" holds out whole answers, "episode" whole episodes (graded pairs;
    `pgt_core.feedback.SPLIT_BY`).
    guard: limits on the behavioural KL / L2 distance to z0 enforced after every step
    (`pgt_core.guard`; None or `NO_GUARD` tunes unguarded).
    cached: True builds a `FeatureCache` (fast path; needs `policy.z_enters_late`), a
    `FeatureCache` reuses one built from exactly `trajs`, False forces the generic path.
    """
    guard = guard if guard is not None else NO_GUARD
    dev, z0, items, cache, ref = _prepare(policy, trajs, pairs, z0, loss, device, cached)
    with _frozen(policy):
        meter = BehaviourMeter.build(policy, trajs, items.rows().tolist(), z0, cache=cache,
                                     sample_steps=guard.sample_steps, seed=seed)
        units = float(items.weight[~items.tie].sum())
        kl_limit = guard.kl_limit(units)
        z = z0.clone().requires_grad_(True)
        best = {"z": z0.clone(), "kl": 0.0}
        state = {"kl": 0.0, "pulled": 0}

        def snapshot() -> None:
            best["z"], best["kl"] = z.detach().clone(), state["kl"]

        def after_step() -> None:
            before = z.detach().clone()
            state["kl"] = enforce(guard, z.data, z0, meter, kl_limit)
            state["pulled"] += int(not torch.equal(before, z.detach()))

        def measure() -> dict[str, float | None]:
            return {"z_l2": float((z.detach() - z0).norm()), "kl": state["kl"]}

        fit = _fit(loss, beta, items, _scorer(policy, trajs, cache, lambda: z), ref, _lengths(trajs),
                   torch.optim.Adam([z], lr=lr), epochs=epochs, val_fraction=val_fraction,
                   batch_pairs=batch_pairs, seed=seed, snapshot=snapshot, progress=progress, split_by=split_by,
                   after_step=after_step, measure=measure)
    return TuneResult(best["z"].cpu(), fit.history, fit.best_epoch, fit.best_loss, loss, fit.n_train, fit.n_val,
                      fit.seconds, epochs, latent_drift(best["z"], z0), latent_drift(z, z0), best["kl"], guard,
                      state["pulled"], kl_limit, split_by)


def finetune_policy(policy: torch.nn.Module, trajs: Sequence[Trajectory], pairs: Sequence[Pair], z0: torch.Tensor,
                    *, loss: LossName = "dpo", beta: float = 0.1, lr: float = 1e-4, epochs: int = 3,
                    val_fraction: float = 0.2, batch_pairs: int | None = 16, seed: int = 0,
                    ref_cache: FeatureCache | None = None, device: str | torch.device | None = None,
                    progress: Progress | None = None, peft: PeftConfig | None = None) -> FinetuneResult:
    """Weight-tuning baseline: train a copy of `policy` with DPO under the fixed z0; `peft` says which
    weights (default: all of them; LoRA adapters or biases only, `pgt_core.peft`).

    The reference is the frozen original (cached features allowed, `ref_cache`). A copy whose frame
    features cannot change (LoRA on the FiLM/head layers) trains on those cached features too; the
    others go through the generic path. The copy with the lowest held-out loss is returned frozen;
    `policy` itself is not modified.
    """
    peft = peft or PeftConfig()
    dev, z0, items, cache, ref = _prepare(policy, trajs, pairs, z0, loss, device,
                                          ref_cache if ref_cache is not None else True)
    student, params, features_frozen = make_student(policy, peft)
    student.to(dev)
    best = {"state": copy.deepcopy(student.state_dict())}

    def snapshot() -> None:
        best["state"] = copy.deepcopy(student.state_dict())

    fit = _fit(loss, beta, items, _scorer(student, trajs, cache if features_frozen else None, lambda: z0), ref,
               _lengths(trajs), torch.optim.Adam(params, lr=lr), epochs=epochs, val_fraction=val_fraction,
               batch_pairs=batch_pairs, seed=seed, snapshot=snapshot, progress=progress)
    student.load_state_dict(best["state"])
    for p in student.parameters():
        p.requires_grad_(False)
    return FinetuneResult(student, fit.history, fit.best_epoch, fit.best_loss, fit.n_train, fit.n_val, fit.seconds,
                          peft.method, trainable_count(params))

"""A round's size and hyperparameters, validated, and the world seeds its rollouts use."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any, Mapping

from labeler.errors import Invalid
from pgt_core.seeds import ROUND_WORLD_BASE

SEEDS_PER_ROUND = 10_000


@dataclass
class RoundConfig:
    """A round's size and hyperparameters (public PGT defaults for the tuning part)."""

    round_size: int = 300  # episodes rolled out per round
    pairs_per_traj: int = 4  # comparisons each episode appears in
    preferences: str = "labels"  # "labels": people's labels; "reward": pairs ordered by episode reward
    loss: str = "dpo"  # dpo | ipo | bc_positive
    beta: float = 0.1
    lr: float = 1e-2
    epochs: int = 50
    val_fraction: float = 0.2
    batch_pairs: int | None = None
    tune_seed: int = 0
    eval_episodes: int = 50  # fixed evaluation seeds
    review_videos: int = 4  # of them, replayed with video for before/after
    batch_size: int = 32  # environments stepped together
    sample_seed: int = 0
    max_attempts: int = 3

    LIMITS = {"round_size": (2, SEEDS_PER_ROUND), "pairs_per_traj": (1, 50), "epochs": (1, 10_000),
              "eval_episodes": (1, 10_000), "review_videos": (0, 32), "batch_size": (1, 4096),
              "max_attempts": (1, 20)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, base: "RoundConfig | None" = None) -> "RoundConfig":
        """Validated config: `data` over `base` (or the defaults); Invalid (422) says what is wrong."""
        known = {f.name: f for f in fields(cls)}
        out = asdict(base or cls())
        for key, value in (data or {}).items():
            if key not in known:
                raise Invalid(f"unknown round setting {key!r}; known: {', '.join(known)}")
            out[key] = value
        try:
            cfg = cls(**out)
            for name in ("round_size", "pairs_per_traj", "epochs", "tune_seed", "eval_episodes", "review_videos",
                         "batch_size", "sample_seed", "max_attempts"):
                setattr(cfg, name, int(getattr(cfg, name)))
            for name in ("beta", "lr", "val_fraction"):
                setattr(cfg, name, float(getattr(cfg, name)))
            cfg.batch_pairs = None if cfg.batch_pairs in (None, "", 0) else int(cfg.batch_pairs)
        except (TypeError, ValueError) as exc:
            raise Invalid(f"bad round settings: {exc}") from None
        for name, (lo, hi) in cls.LIMITS.items():
            if not lo <= getattr(cfg, name) <= hi:
                raise Invalid(f"{name} must be between {lo} and {hi}, got {getattr(cfg, name)}")
        if cfg.preferences not in ("labels", "reward"):
            raise Invalid("preferences must be 'labels' or 'reward'")
        if cfg.loss not in ("dpo", "ipo", "bc_positive"):
            raise Invalid("loss must be dpo, ipo or bc_positive")
        if not (math.isfinite(cfg.beta) and cfg.beta > 0 and math.isfinite(cfg.lr) and cfg.lr > 0):
            raise Invalid("beta and lr must be positive numbers")
        if not 0 <= cfg.val_fraction < 1:
            raise Invalid("val_fraction must be in [0, 1)")
        if cfg.review_videos > cfg.eval_episodes:
            raise Invalid("review_videos cannot exceed eval_episodes")
        return cfg

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def train_seeds(task_id: int, number: int, n: int) -> list[int]:
    """World seeds of a round's rollouts: the rounds' own range (pgt_core.seeds), per task and round."""
    start = ROUND_WORLD_BASE + int(task_id) * 1_000_000 + int(number) * SEEDS_PER_ROUND
    return list(range(start, start + n))

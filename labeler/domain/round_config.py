"""A round's size and hyperparameters, validated, and the world seeds its rollouts use."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any, Mapping

from labeler.db.questions import MAX_EPISODES
from labeler.errors import FieldInvalid
from pgt_core.feedback import FEEDBACK_MODES
from pgt_core.seeds import ROUND_WORLD_BASE

SEEDS_PER_ROUND = 10_000


@dataclass
class RoundConfig:
    """A round's size and hyperparameters (public PGT defaults for the tuning part)."""

    round_size: int = 60  # episodes rolled out per round (the form's presets size it in minutes of people's time)
    pairs_per_traj: int = 2  # pairwise: comparisons each episode appears in
    feedback: str = "pairwise"  # what people are asked: pairwise | per_episode | best_of_k (pgt_core.feedback)
    k: int = 4  # best_of_k: videos per question
    pair_selection: str = "random"  # random | active: least certain comparisons first (pairwise, best_of_k)
    evaluation: str = "success"  # success (reward) | human (blind A/B of start vs candidate) | both
    ab_pairs: int = 20  # human evaluation: A/B comparisons on evaluation seeds (at most review_videos)
    preferences: str = "labels"  # "labels": people's labels; "reward": pairs ordered by episode reward
    loss: str = "dpo"  # dpo | ipo | bc_positive
    beta: float = 0.1
    lr: float = 1e-2
    epochs: int = 50
    val_fraction: float = 0.0  # people-sized rounds hold nothing out: the guard bounds z (pgt_core.tuning)
    batch_pairs: int | None = None
    tune_seed: int = 0
    eval_episodes: int = 50  # fixed evaluation seeds
    review_videos: int = 50  # evaluation seeds kept whole for the side-by-side review (videos made when viewed)
    batch_size: int = 32  # environments stepped together
    sample_seed: int = 0
    max_attempts: int = 3

    # Sane ranges: a learning rate of 1e9 or a thousand-fold beta is a typo, not an experiment.
    LIMITS = {"round_size": (2, SEEDS_PER_ROUND), "pairs_per_traj": (1, 50), "epochs": (1, 2_000),
              "eval_episodes": (1, 10_000), "review_videos": (0, 10_000), "batch_size": (1, 4096),
              "max_attempts": (1, 20), "lr": (1e-5, 1.0), "beta": (1e-3, 10.0), "val_fraction": (0.0, 0.5),
              "k": (2, MAX_EPISODES), "ab_pairs": (1, 1_000)}
    CHOICES = {"feedback": FEEDBACK_MODES, "pair_selection": ("random", "active"),
               "evaluation": ("success", "human", "both"), "preferences": ("labels", "reward"),
               "loss": ("dpo", "ipo", "bc_positive")}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, base: "RoundConfig | None" = None) -> "RoundConfig":
        """Validated config: `data` over `base` (or the defaults); Invalid (422) says what is wrong."""
        known = {f.name: f for f in fields(cls)}
        out = asdict(base or cls())
        for key, value in (data or {}).items():
            if key not in known:
                raise FieldInvalid(key, f"unknown round setting; known: {', '.join(known)}")
            out[key] = value
        cfg = cls(**out)
        for name in ("round_size", "pairs_per_traj", "epochs", "tune_seed", "eval_episodes", "review_videos",
                     "batch_size", "sample_seed", "max_attempts", "beta", "lr", "val_fraction", "batch_pairs", "k",
                     "ab_pairs"):
            _coerce(cfg, name, float if name in ("beta", "lr", "val_fraction") else int)
        for name, (lo, hi) in cls.LIMITS.items():
            value = getattr(cfg, name)
            if not (math.isfinite(value) and lo <= value <= hi):
                raise FieldInvalid(name, f"must be between {lo:g} and {hi:g}, got {value:g}")
        for name, allowed in cls.CHOICES.items():
            if getattr(cfg, name) not in allowed:
                raise FieldInvalid(name, f"must be one of {', '.join(allowed)}, got {getattr(cfg, name)!r}")
        if cfg.pair_selection == "active" and cfg.feedback == "per_episode":
            raise FieldInvalid("pair_selection", "active selection orders comparisons: pairwise or best_of_k only")
        if cfg.feedback == "best_of_k" and cfg.round_size < cfg.k:
            raise FieldInvalid("round_size", f"a best-of-{cfg.k} round needs at least {cfg.k} episodes")
        return cfg

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _coerce(cfg: RoundConfig, name: str, kind: type) -> None:
    value = getattr(cfg, name)
    if name == "batch_pairs" and value in (None, "", 0):
        cfg.batch_pairs = None
        return
    try:
        number = kind(value)
        if kind is int and isinstance(value, float) and not value.is_integer():
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        raise FieldInvalid(name, f"must be {'a whole number' if kind is int else 'a number'}, got {value!r}") from None
    setattr(cfg, name, number)


def train_seeds(task_id: int, number: int, n: int) -> list[int]:
    """World seeds of a round's rollouts: the rounds' own range (pgt_core.seeds), per task and round."""
    start = ROUND_WORLD_BASE + int(task_id) * 1_000_000 + int(number) * SEEDS_PER_ROUND
    return list(range(start, start + n))

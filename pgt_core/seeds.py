"""Crafter world seeds: which range each use draws from, kept in one place so no two uses share worlds.

A world seed fixes the generated map, so two uses that draw the same seeds play the same worlds:
rollouts to label or tune on must not replay the worlds the foundation policy was trained or
prompted in, and evaluation must not replay tuning worlds. Every range below is disjoint from
the others; a new use gets a new range here rather than a literal in its module.

| constant                   | seeds                 | used for (by)                                                  |
|----------------------------|-----------------------|----------------------------------------------------------------|
| DEMO_WORLD_BASE            | 100_000 - 999_999     | foundation demonstrations; shipped: 100_000-100_799,           |
|                            |                       | validation 100_800-100_839 (pgt_core.policy.train / demos,     |
|                            |                       | --first-seed)                                                  |
| PROMPT_WORLD_BASE          | 1_000_000 - 1_999_999 | prompt clips recorded at training; shipped:                    |
|                            |                       | 1_000_000-1_000_059 (pgt_core.policy.train: first seed +       |
|                            |                       | 900_000)                                                       |
| REPRODUCE_TRAIN_WORLD_BASE | 2_000_000 - 2_999_999 | reproduction tuning worlds, also its ID evaluation             |
|                            |                       | (pgt_core.reproduce)                                           |
| REPRODUCE_OOD_WORLD_BASE   | 3_000_000 - 3_999_999 | reproduction out-of-distribution evaluation                    |
|                            |                       | (pgt_core.reproduce)                                           |
| EVAL_WORLD_BASE            | 5_000_000 - 5_999_999 | fixed evaluation worlds: the goal-conditioning table and every |
|                            |                       | round's before/after review (pgt_core.evaluate.eval_seeds,     |
|                            |                       | labeler.rounds)                                                |
| BOOTSTRAP_WORLD_BASE       | 6_000_000 - 6_999_999 | the app's first-start episodes (labeler                        |
|                            |                       | AppConfig.bootstrap_seed)                                      |
| BENCHMARK_WORLD_BASE       | 7_000_000 - 9_999_999 | benchmarks/: rollout 7_000_000+, tuning 7_100_000+, training   |
|                            |                       | demonstrations 7_200_000+, active                              |
|                            |                       | selection pool 7_000_000+ and evaluation 8_000_000+, label     |
|                            |                       | budget pool 7_300_000+ and evaluation 8_600_000+ (+10_000 per  |
|                            |                       | --seed)                                                        |
| ROUND_WORLD_BASE           | 10_000_000 and up     | the app's rounds: + task id * 1_000_000 + round number *       |
|                            |                       | 10_000 (labeler.rounds.train_seeds)                            |

`WORLD_RANGES` holds the same ranges as [first, end) for checks (tests/test_seeds.py).
"""
from __future__ import annotations

DEMO_WORLD_BASE = 100_000
PROMPT_WORLD_BASE = 1_000_000
REPRODUCE_TRAIN_WORLD_BASE = 2_000_000
REPRODUCE_OOD_WORLD_BASE = 3_000_000
EVAL_WORLD_BASE = 5_000_000
BOOTSTRAP_WORLD_BASE = 6_000_000
BENCHMARK_WORLD_BASE = 7_000_000
ROUND_WORLD_BASE = 10_000_000

WORLD_RANGES: dict[str, tuple[int, float]] = {
    "demos": (DEMO_WORLD_BASE, PROMPT_WORLD_BASE),
    "prompts": (PROMPT_WORLD_BASE, REPRODUCE_TRAIN_WORLD_BASE),
    "reproduce_train": (REPRODUCE_TRAIN_WORLD_BASE, REPRODUCE_OOD_WORLD_BASE),
    "reproduce_ood": (REPRODUCE_OOD_WORLD_BASE, 4_000_000),
    "evaluation": (EVAL_WORLD_BASE, BOOTSTRAP_WORLD_BASE),
    "bootstrap": (BOOTSTRAP_WORLD_BASE, BENCHMARK_WORLD_BASE),
    "benchmarks": (BENCHMARK_WORLD_BASE, ROUND_WORLD_BASE),
    "rounds": (ROUND_WORLD_BASE, float("inf")),
}


def world_range_of(seed: int) -> str | None:
    """The name of the range `seed` falls in, or None (e.g. seeds below 100_000, used by unit tests)."""
    return next((name for name, (lo, hi) in WORLD_RANGES.items() if lo <= seed < hi), None)

"""World seed ranges (pgt_core.seeds): disjoint, and every use draws from its own range."""
from __future__ import annotations

from itertools import pairwise

import pytest

from pgt_core import seeds
from pgt_core.evaluate import eval_seeds
from pgt_core.reproduce import ReproConfig, world_seeds


def within(name: str, values) -> bool:
    lo, hi = seeds.WORLD_RANGES[name]
    return all(lo <= v < hi for v in values)


def test_ranges_are_disjoint_and_start_at_their_constants():
    spans = sorted(seeds.WORLD_RANGES.values())
    assert all(a_hi <= b_lo for (_, a_hi), (b_lo, _) in pairwise(spans))
    starts = {lo for lo, _ in spans}
    assert starts == {seeds.DEMO_WORLD_BASE, seeds.PROMPT_WORLD_BASE, seeds.REPRODUCE_TRAIN_WORLD_BASE,
                      seeds.REPRODUCE_OOD_WORLD_BASE, seeds.EVAL_WORLD_BASE, seeds.BOOTSTRAP_WORLD_BASE,
                      seeds.BENCHMARK_WORLD_BASE, seeds.ROUND_WORLD_BASE}
    assert seeds.world_range_of(1_000_030) == "prompts" and seeds.world_range_of(42) is None


def test_pgt_core_draws_each_use_from_its_own_range():
    evaluation = eval_seeds(1000)
    assert len(set(evaluation)) == 1000 and within("evaluation", evaluation)
    train, id_eval, ood = world_seeds(ReproConfig())
    assert within("reproduce_train", train + id_eval) and within("reproduce_ood", ood)
    assert not set(ood) & set(train + id_eval)  # out-of-distribution: worlds tuning never saw
    assert not set(evaluation) & set(train + id_eval + ood)


def test_shipped_foundation_data_lies_in_the_demo_and_prompt_ranges():
    from pgt_core.policy.checkpoint import DEFAULT_CHECKPOINT, load_foundation

    if not DEFAULT_CHECKPOINT.is_file():
        pytest.skip("no shipped checkpoint")
    meta = load_foundation().meta
    for key, name in (("demo_seeds", "demos"), ("val_seeds", "demos"), ("prompt_seeds", "prompts")):
        first, end = meta[key]
        assert within(name, range(first, end)), (key, first, end)


def test_the_app_draws_bootstrap_and_round_worlds_from_their_own_ranges():
    from labeler.config import AppConfig
    from labeler.domain.round_config import train_seeds

    cfg = AppConfig()
    boot = range(cfg.bootstrap_seed, cfg.bootstrap_seed + cfg.bootstrap_episodes)
    assert cfg.bootstrap_seed == seeds.BOOTSTRAP_WORLD_BASE and within("bootstrap", boot)
    assert {seeds.world_range_of(s) for s in boot} == {"bootstrap"}  # not the prompt clips' worlds (1_000_000+)
    assert within("rounds", train_seeds(1, 1, 300) + train_seeds(50, 99, 10_000))

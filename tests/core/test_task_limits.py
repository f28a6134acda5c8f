"""The time-limit rule: the smallest multiple of 25 from 100 steps where the prompt reaches 50%."""
import pytest

from pgt_core.task_limits import MIN_LIMIT, first_success_steps, limit_for, markdown, success_at
from tests.support.fakes import frozen_foundation


def test_success_at_a_limit_counts_first_successes_before_it():
    steps = [10, 99, 100, None, 150]
    assert success_at(steps, 100) == pytest.approx(2 / 5) and success_at(steps, 151) == pytest.approx(4 / 5)
    assert success_at([], 100) == 0.0


def test_the_limit_is_the_first_candidate_reaching_half_and_never_below_100():
    slow = [120, 130, 140, 160, 210, None, None, None]  # 50% first reached at 175 (4 of 8 before it)
    c = limit_for("t", slow, horizon=300)
    assert (c.limit, c.success, c.success_at_min) == (175, 0.5, 0.0) and c.in_band
    easy = limit_for("t", [5] * 9 + [None], horizon=300)  # 90% already at 100 steps: reported, not forced
    assert easy.limit == MIN_LIMIT and not easy.in_band
    hard = limit_for("t", [250] + [None] * 19, horizon=300)  # never reaches 50%: the horizon, outside the band
    assert hard.limit == 300 and hard.success == pytest.approx(0.05) and not hard.in_band
    with pytest.raises(ValueError):
        limit_for("t", slow, horizon=50)


def test_first_success_steps_come_from_real_rollouts_of_the_prompt():
    f = frozen_foundation()
    steps = first_success_steps(f, "collect_sapling", episodes=2, horizon=MIN_LIMIT)
    assert len(steps) == 2 and all(s is None or 0 <= s < MIN_LIMIT for s in steps)
    table = markdown([limit_for("collect_sapling", steps, MIN_LIMIT)])
    assert "| collect_sapling | 5 | 100 |" in table

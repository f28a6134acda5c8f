"""The seconds-per-answer model, measured times replacing it, and round sizes from minutes."""
import pytest

from pgt_core.human_time import (
    PRESETS,
    SecondsModel,
    episodes_for_answers,
    minutes_for_round,
    preset_round,
    round_for_minutes,
    seconds_per_answer,
)


def test_seconds_are_watching_at_the_playback_speed_plus_deciding():
    m = SecondsModel()  # 10 fps, 1x
    assert m.answer("pairwise", [61, 41]) == pytest.approx(6.1 + 3.0)  # synced: the longer video counts
    assert m.answer("per_episode", [61]) == pytest.approx(6.1 + 2.0)
    assert m.answer("best_of_k", [61, 30, 61, 10]) == pytest.approx(6.1 + 2.0 + 4 * 1.0)
    assert m.answer("best_of_k", [61] * 4, full_order=True) == pytest.approx(6.1 + 2.0 + 3 * 2.0)
    fast = SecondsModel(speed=2.0)
    assert fast.answer("per_episode", [61]) == pytest.approx(3.05 + 2.0)
    with pytest.raises(ValueError):
        m.answer("thumbs", [10])


def test_measured_times_replace_the_model_once_there_are_enough():
    assert seconds_per_answer("pairwise", 61, measured_ms=[4000, 5000, 6000]) == pytest.approx(9.1)  # too few
    assert seconds_per_answer("pairwise", 61, measured_ms=[4000, 5000, 6000, 7000, 30000]) == 6.0  # the median


def test_rounds_sized_from_minutes():
    r = round_for_minutes("pairwise", 10, 26)  # a 25-step task: 2.6 s watching + 3 s
    assert r.seconds_per_answer == pytest.approx(5.6) and r.answers == 107 and r.episodes == 54
    assert r.minutes <= 10 and r.minutes == pytest.approx(107 * 5.6 / 60)
    grades = round_for_minutes("per_episode", 10, 26)
    assert grades.answers == 130 and grades.episodes == 130
    best = round_for_minutes("best_of_k", 10, 26, k=4)
    assert best.answers == 69 and best.episodes == 138
    team = round_for_minutes("pairwise", 60, 26, people=3)
    assert team.answers == int(3 * 3600 // 5.6) and team.minutes_per_person == pytest.approx(team.minutes / 3)
    assert minutes_for_round("per_episode", 300, 61) == pytest.approx(300 * 8.1 / 60)
    assert preset_round("10 minutes, one person", "pairwise", 26) == r and "10 minutes, one person" in PRESETS
    assert episodes_for_answers("best_of_k", 1, k=4) == 4

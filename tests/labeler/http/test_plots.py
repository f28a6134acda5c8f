"""The researcher's success chart draws each rate's 95% Wilson interval as an error bar."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from labeler.http.plots import task_plots
from pgt_core.stats import wilson_interval

SVG = "{http://www.w3.org/2000/svg}"
TOP, PLOT_HEIGHT = 40, 136  # the chart's top margin and plot height (210 - 40 - 34)


def value_at(y: float) -> float:
    return 1 - (y - TOP) / PLOT_HEIGHT


def test_success_rates_carry_wilson_intervals_as_error_bars():
    z0 = [True] * 2 + [False] * 8  # 2 of 10
    tuned = [True] * 7 + [False] * 3  # 7 of 10
    rounds = [{"id": 1, "number": 1, "result": {"eval": {"rates": [
        {"role": "prompt", "success_rate": 0.2, "success": z0},
        {"role": "candidate", "success_rate": 0.7, "success": tuned}]}}}]
    chart = ET.fromstring(task_plots(rounds)["success"])
    assert "95% CI" in chart.get("aria-label")
    bars = chart.findall(f"{SVG}g[@class='interval']")
    assert len(bars) == 2
    for bar, outcomes, name in zip(bars, (z0, tuned), ("z0 (prompt)", "tuned"), strict=True):
        want = wilson_interval(sum(outcomes), len(outcomes))
        stem = bar.findall(f"{SVG}line")[0]
        low, high = sorted((value_at(float(stem.get("y1"))), value_at(float(stem.get("y2")))))
        assert low == pytest.approx(want.low, abs=0.01) and high == pytest.approx(want.high, abs=0.01)
        assert bar.find(f"{SVG}title").text.startswith(f"{name}: ")
        assert bar.get("pointer-events") == "none"  # the dots stay on top for the pointer


def test_rates_without_per_episode_outcomes_have_no_bar():
    rounds = [{"id": 1, "number": 1, "result": {"eval": {"rates": [{"role": "prompt", "success_rate": 0.2}]}}}]
    chart = ET.fromstring(task_plots(rounds)["success"])
    assert chart.findall(f"{SVG}circle") and not chart.findall(f"{SVG}g[@class='interval']")

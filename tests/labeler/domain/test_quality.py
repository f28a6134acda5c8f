"""Annotator quality statistics: textbook alpha values, gold, repeats, bias, speed."""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import pytest

from labeler.domain.agreement import disagreements, krippendorff_alpha_nominal, majority_agreement
from labeler.domain.annotator_quality import (
    gold_accuracy,
    gold_answers,
    position_bias,
    self_consistency,
    throughput,
)
from labeler.domain.label_records import LabelRecord
from labeler.domain.preferences import resolve_preferences
from labeler.domain.quality_report import quality_report
from pgt_core.stats import binomial_two_sided_p

T0 = datetime(2025, 1, 1, 9, 0, tzinfo=timezone.utc)


def lab(pair: int, who: str, choice: str, left: str = "t1", right: str = "t2", *, at: float = 0.0,
        ms: int | None = 3000, task: int = 1, rnd: int | None = 1) -> LabelRecord:
    a, b = sorted((left, right))
    return LabelRecord(pair_id=pair, annotator=who, choice=choice, left_traj=left, right_traj=right, traj_a=a,
                       traj_b=b, task_id=task, round_id=rnd, time_spent_ms=ms, created_at=T0 + timedelta(seconds=at))


def test_alpha_matches_krippendorffs_textbook_example_with_missing_data():
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", nominal example: alpha = 0.743
    data = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
        [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
    ]
    assert krippendorff_alpha_nominal(data) == pytest.approx(0.743, abs=5e-4)
    # same data as {unit: {coder: value}}
    units = {u: {c: row[u] for c, row in enumerate(data)} for u in range(12)}
    assert krippendorff_alpha_nominal(units) == pytest.approx(0.743, abs=5e-4)


def test_alpha_binary_two_coders_and_edge_cases():
    # Krippendorff (2011), binary data, two observers, no missing data: alpha = 0.095
    assert krippendorff_alpha_nominal([[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]]) == \
        pytest.approx(0.095, abs=5e-4)
    assert krippendorff_alpha_nominal([["a", "b", "a"], ["a", "b", "a"]]) == 1.0
    assert math.isnan(krippendorff_alpha_nominal([["a", "a"], ["a", "a"]]))  # no variation: undefined
    assert math.isnan(krippendorff_alpha_nominal([["a", None], [None, "b"]]))  # nothing pairable


def test_outcomes_are_in_pair_orientation_whatever_side_was_shown():
    assert lab(1, "x", "left", "t1", "t2").outcome == "a"
    assert lab(1, "x", "left", "t2", "t1").outcome == "b"
    assert lab(1, "x", "tie").outcome == "tie" and lab(1, "x", "skip").outcome is None
    row = {"pair_id": 3, "annotator": "x", "choice": "right", "left_traj": "q", "right_traj": "p",
           "traj_a": "p", "traj_b": "q", "created_at": T0.isoformat(), "id": 9}
    rec = LabelRecord.from_row(row)
    assert rec.outcome == "a" and rec.created_at == T0 and rec.label_id == 9


def test_gold_answers_and_accuracy():
    trajs = {"s": {"success": True, "reward": 1.4}, "f": {"success": False, "reward": 0.0},
             "s2": {"success": True, "reward": 1.1}}
    gold = gold_answers([{"id": 1, "traj_a": "f", "traj_b": "s"}, {"id": 2, "traj_a": "s", "traj_b": "s2"}], trajs)
    assert gold == {1: "s"}  # two successes are not gold
    labels = [lab(1, "good", "right", "f", "s"), lab(1, "bad", "left", "f", "s"), lab(1, "meh", "tie", "f", "s"),
              lab(2, "good", "left", "s", "s2")]
    acc = gold_accuracy(labels, gold)
    assert acc["good"].value == 1.0 and acc["bad"].value == 0.0 and acc["meh"].value == 0.0
    assert acc["good"].n == 1  # pair 2 is not gold


def test_self_consistency_accounts_for_swapped_sides_and_aliases():
    canonical = {"t1r": "t1", "t2r": "t2"}  # the repeat is a copy of (t1, t2) under new ids
    labels = [
        lab(1, "steady", "left", "t1", "t2", at=0), lab(9, "steady", "right", "t2r", "t1r", at=60),  # same rollout
        lab(1, "sidey", "left", "t1", "t2", at=0), lab(9, "sidey", "left", "t2r", "t1r", at=60),  # same side
        lab(1, "tie", "tie", at=0), lab(9, "tie", "tie", "t2r", "t1r", at=60),
    ]
    c = self_consistency(labels, canonical)
    assert c["steady"].value == 1.0 and c["sidey"].value == 0.0 and c["tie"].value == 1.0
    assert self_consistency(labels) == {}  # without the alias map nothing repeats


def test_position_bias_and_binomial_test():
    assert binomial_two_sided_p(60, 100) == pytest.approx(0.056888, abs=1e-5)  # scipy.stats.binomtest
    assert binomial_two_sided_p(0, 10) == pytest.approx(2 / 1024)
    assert binomial_two_sided_p(5, 10) == 1.0 and binomial_two_sided_p(0, 0) == 1.0
    labels = [lab(i, "x", "left") for i in range(18)] + [lab(100 + i, "x", "right") for i in range(2)] + \
        [lab(200, "x", "tie")]
    bias = position_bias(labels)
    assert bias["n_decisive"] == 20 and bias["left_rate"] == 0.9 and bias["p_value"] < 0.001


def test_throughput_uses_active_sessions():
    # 10 labels 30 s apart, a 2-hour break, 10 more: active time ~ 2 x (270 s + 3 s), not 2.5 hours
    labels = [lab(i, "x", "left", at=30 * i) for i in range(10)] + \
        [lab(20 + i, "x", "left", at=7200 + 30 * i) for i in range(10)] + [lab(99, "x", "skip", at=7500)]
    t = throughput(labels)
    assert t["n_labels"] == 20
    assert t["active_hours"] == pytest.approx(2 * 273 / 3600)
    assert t["labels_per_hour"] == pytest.approx(20 / (2 * 273 / 3600))
    assert t["time_per_label_s"]["median"] == 3.0
    assert throughput([])["labels_per_hour"] is None


def test_disagreements_feed_the_adjudication_queue():
    labels = [lab(1, "x", "left"), lab(1, "y", "left"), lab(1, "z", "right"),  # 2:1, majority a
              lab(2, "x", "left"), lab(2, "y", "right"),  # 1:1, no majority
              lab(3, "x", "left"), lab(3, "y", "left"),  # unanimous
              lab(4, "x", "left"), lab(4, "y", "tie"),  # decisive vs tie
              lab(5, "x", "left")]  # single label
    queue = disagreements(labels)
    assert [d.pair_id for d in queue] == [2, 4, 1]  # least agreement first
    assert queue[2].majority == "a" and queue[2].votes == {"a": ["x", "y"], "b": ["z"]}
    assert queue[0].majority is None
    assert [d.pair_id for d in disagreements(labels, decisive_only=True)] == [2, 1]
    agree = majority_agreement(labels)
    assert agree["z"].k == 0 and agree["z"].n == 1


def test_quality_report_is_json_ready():
    import json

    labels = [lab(1, "x", "left"), lab(1, "y", "right", "t2", "t1"), lab(2, "x", "left", "t1", "t3", rnd=2),
              lab(2, "y", "right", "t1", "t3", rnd=2)]
    report = quality_report(labels, gold={1: "t1"})
    json.dumps(report)
    assert report["n_labels"] == 4
    assert [r["round_id"] for r in report["alpha_by_task_round"]] == [1, 2]
    assert report["annotators"][0]["gold_accuracy"] == {"k": 1, "n": 1, "rate": 1.0}
    assert [d["pair_id"] for d in report["disagreements"]] == [2]


def test_resolve_preferences_uses_adjudication_then_votes():

    labels = [lab(1, "x", "left"), lab(1, "y", "left"), lab(1, "z", "right"),  # majority a
              lab(2, "x", "left"), lab(2, "y", "right"),  # split: waits for a researcher
              lab(3, "x", "tie"), lab(3, "y", "tie"),  # unanimous tie
              lab(4, "x", "left"), lab(4, "y", "right"),  # split, adjudicated b
              lab(5, "x", "left"), lab(6, "x", "right")]  # 6 is a repeat check
    out = {r["pair_id"]: r for r in resolve_preferences(labels, {4: "b", 2: "discard"}, exclude_pairs=[6])}
    assert set(out) == {1, 3, 4, 5}
    assert (out[1]["source"], out[1]["preferred"], out[1]["rejected"]) == ("majority", "t1", "t2")
    assert out[3]["outcome"] == "tie" and out[3]["preferred"] is None
    assert (out[4]["source"], out[4]["preferred"]) == ("adjudicated", "t2")

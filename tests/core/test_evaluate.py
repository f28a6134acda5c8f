"""The conditioning evaluation runs end to end on a tiny budget and reports one row per task."""
import torch

from pgt_core.evaluate import evaluate_conditioning, markdown_table
from pgt_core.policy.checkpoint import Foundation

torch.set_num_threads(1)


def test_evaluation_runs_on_a_tiny_budget():
    f = Foundation.untrained(seed=0, tasks=["collect_wood", "collect_drink"])
    rows = evaluate_conditioning(f, ["collect_wood", "collect_drink"], episodes=2, max_steps=10, batch_size=2)
    assert [r["task"] for r in rows] == ["collect_wood", "collect_drink"]
    for r in rows:
        assert all(0.0 <= r[k] <= 1.0 for k in ("prompt", "random", "other"))
    assert rows[0]["other_task"] == "collect_drink"
    table = markdown_table(rows)
    assert "| collect_wood |" in table and "Prompt beats both controls" in table

"""A tiny run of benchmarks/bench_label_budget.py: every mode, selection and guard end to end."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_label_budget_benchmark_runs_every_configuration(tmp_path):
    out = tmp_path / "budget.json"
    run = subprocess.run([sys.executable, "benchmarks/bench_label_budget.py", "--quick", "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads(out.read_text())
    assert len(results["tasks"]) == 2
    for task in results["tasks"]:
        seen = {(c["mode"], c["selection"], c["variant"]) for c in task["configs"]}
        assert {("pairwise", "random", "default"), ("pairwise", "active", "default"),
                ("per_episode", "random", "default"), ("best_of_k", "random", "default"),
                ("best_of_k", "active", "default"), ("pairwise", "random", "none")} <= seen
        for c in task["configs"]:
            assert len(c["outcomes"]) == len(task["z0"]) == 8 and c["minutes_used"] <= c["minutes"]
            if c["variant"] == "default" and c["kl"] is not None:
                assert c["kl"] <= results["default_guard"]["max_kl"] * (1 + 1e-6)
    assert "mean relative improvement over z0" in run.stdout and "**Targets**" in run.stdout
    assert "Head to head at equal minutes" in run.stdout and "**Guard and tuning variants**" in run.stdout

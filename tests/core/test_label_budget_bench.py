"""A tiny run of benchmarks/bench_label_budget.py: every mode, both round protocols, both selections, both guards."""
import json
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = "benchmarks/bench_label_budget.py"


def _run(*args: str) -> subprocess.CompletedProcess:
    run = subprocess.run([sys.executable, BENCH, *args], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    return run


def _disjoint(blocks: list[list[int]]) -> bool:
    spans = sorted(blocks)
    return all(a[1] <= b[0] for a, b in pairwise(spans))


def test_each_seed_plays_worlds_of_its_own():
    zero, one = (json.loads(_run("--show-worlds", "--seed", s).stdout) for s in ("0", "1"))
    assert set(zero) == {"round1", "round2", "evaluation"}
    assert _disjoint(list(zero.values()) + list(one.values()))


@pytest.mark.slow
def test_the_label_budget_benchmark_runs_every_configuration(tmp_path):
    out = tmp_path / "budget.json"
    run = _run("--quick", "--out", str(out))
    results = json.loads(out.read_text())
    [task] = results["tasks"]
    assert _disjoint(list(task["worlds"].values()))
    configs = task["configs"]
    seen = {(c["mode"], c["rounds"], c["selection"], c["variant"], c["minutes"]) for c in configs}
    for mode in ("pairwise", "per_episode", "best_of_k"):
        for minutes in (1, 2):
            assert {(mode, 1, "random", "default", minutes), (mode, 2, "random", "default", minutes)} <= seen
        assert (mode, 1, "random", "none", 2) in seen and (mode, 1, "random", "none", 1) not in seen
    # Active selection: pairwise and best-of-K, second rounds only (a first round's implicit rewards are all 0).
    active = {(c["mode"], c["rounds"]) for c in configs if c["selection"] == "active"}
    assert active == {("pairwise", 2), ("best_of_k", 2)}

    share = results["args"]["first_share"]
    one_round = {(c["mode"], c["variant"], c["minutes"]): c for c in configs if c["rounds"] == 1}
    for c in configs:
        assert len(c["outcomes"]) == len(task["z0"]) == 4 and c["minutes_used"] <= c["minutes"] + 1e-9
        if c["variant"] == "default" and c["kl"] is not None:
            assert c["kl"] <= results["default_guard"]["max_kl"] * (1 + 1e-6)
        if c["rounds"] == 2:
            assert c["first_minutes_used"] <= c["minutes"] * share + 1e-9
            assert c["answers_second"] > 0 and c["answers"] == c["answers_first"] + c["answers_second"]
            # Round 1 of a 2-round budget is the 1-round protocol at the shorter budget: the same answers.
            shorter = one_round.get((c["mode"], c["variant"], c["minutes"] * share))
            if shorter is not None:
                assert c["answers_first"] == shorter["answers"]
    for c in (c for c in configs if c["selection"] == "active"):
        twin = next(r for r in configs if r["selection"] == "random" and r["rounds"] == 2 and
                    all(r[k] == c[k] for k in ("mode", "variant", "minutes")))
        # Same first round, same round-2 episodes (z1's rollouts); only the order of the items differs.
        assert (twin["answers_first"], twin["pool2"], twin["pool2_success"]) == \
            (c["answers_first"], c["pool2"], c["pool2_success"])
        assert c["implicit_spread"] > 0  # z1 moved, so its episodes' implicit rewards order the round
    for section in ("mean relative improvement over z0", "**Targets**", "Head to head at equal minutes",
                    "2 rounds - 1 round", "active - random", "**Guard and tuning variants**", "**Per task"):
        assert section in run.stdout

"""The reproduction runs end to end on a tiny budget, resumes per task, and summarises honestly."""
import json

import pytest
import torch

from pgt_core import reproduce as repro

torch.set_num_threads(1)


def test_quick_reproduction_runs_end_to_end_and_resumes(tmp_path, capsys):
    out = tmp_path / "repro"
    data = repro.main(["--quick", "--untrained", "--out", str(out), "--episodes", "10", "--eval-episodes", "4",
                       "--max-steps", "25"])
    row = data["tasks"]["collect_sapling"]
    methods = {"z0", "pgt_1", "pgt_2", "bc_positive", "full_ft", "lora", "bitfit"}
    assert set(row["success"]) == methods
    assert all(0.0 <= row["success"][m][s] <= 1.0 for m in methods for s in ("id", "ood"))
    assert [r["round"] for r in row["rounds"]] == [1, 2]
    assert set(row["outcomes"]) == methods  # every episode's outcome, for the paired tests
    assert all(len(row["outcomes"][m][s]) == 4 for m in methods for s in ("id", "ood"))
    assert all(row["success"][m]["id"] == sum(row["outcomes"][m]["id"]) / 4 for m in methods)
    assert row["rounds"][0]["decisive_pairs"] > 0 and "best_epoch" in row["rounds"][0]  # tuning really ran
    assert all("best_epoch" in row["baselines"][m] for m in ("bc_positive", "full_ft", "lora", "bitfit"))
    trainable = {m: row["baselines"][m]["trainable"] for m in ("full_ft", "lora", "bitfit")}
    assert trainable["lora"] < trainable["full_ft"] and trainable["bitfit"] < trainable["full_ft"]
    saved = json.loads((out / "results.json").read_text())
    assert saved["summary"]["tasks"] == 1 and "PGT 2 rounds" in saved["table"]
    assert "| LoRA | BitFit |" in saved["table"] and "rel_improvement_lora" in saved["summary"]["id"]
    assert (out / "table.md").exists() and set(torch.load(out / "latents" / "collect_sapling.pt")) >= {"z0", "pgt_2"}
    assert "| collect_sapling |" in capsys.readouterr().out

    # resuming skips finished tasks; other settings into the same directory are refused
    again = repro.main(["--quick", "--untrained", "--out", str(out), "--episodes", "10", "--eval-episodes", "4",
                        "--max-steps", "25"])
    assert again["tasks"]["collect_sapling"]["seconds"] == row["seconds"]
    with pytest.raises(SystemExit, match="other settings"):
        repro.main(["--quick", "--untrained", "--out", str(out), "--episodes", "11"])


def test_seed_ranges_are_disjoint_and_in_distribution_means_the_tuning_worlds():
    cfg = repro.ReproConfig(episodes=300, eval_episodes=100, train_worlds=100)
    train, id_eval, ood = repro.world_seeds(cfg)
    assert set(id_eval) == set(train) and len(set(train)) == 100
    assert not set(ood) & set(train) and min(ood) >= 1_000_000
    assert repro.EVAL_SAMPLE_SEED not in {repro.ROUND_SAMPLE_BASE + r for r in range(1, 100)}


def _row(task, z0, pgt, bc, ft):
    s = lambda v: {"id": v, "ood": v / 2}  # noqa: E731
    return {"task": task, "success": {"z0": s(z0), "pgt_1": s(pgt), "pgt_3": s(pgt), "bc_positive": s(bc),
                                      "full_ft": s(ft)}}


def test_summary_relative_improvement_skips_zero_baselines_and_counts_wins():
    rows = [_row("a", 0.2, 0.4, 0.3, 0.5), _row("b", 0.5, 0.5, 0.6, 0.2), _row("c", 0.0, 0.3, 0.0, 0.0)]
    s = repro.summarize(rows, rounds=3)
    assert s["id"]["rel_improvement_pgt_3"] == pytest.approx((1.0 + 0.0) / 2)
    assert s["id"]["tasks_with_nonzero_z0"] == 2
    assert s["id"]["pgt_beats_bc"] == 2 and s["ood"]["pgt_beats_ft"] == 2
    table = repro.markdown(rows, 3, 10)
    assert "| c | 0% (0-28) | 30% (11-60) | 30% (11-60) | 0% (0-28) | 0% (0-28) |" in table and "+50.0%" in table
    assert "intervals only" in table  # rows without per-episode outcomes get no paired test
    assert "LoRA" not in table  # results made before a baseline existed still summarise, without its column
    peft_rows = [dict(r, success={**r["success"], "lora": r["success"]["z0"], "bitfit": r["success"]["pgt_1"]})
                 for r in rows]
    s = repro.summarize(peft_rows, rounds=3)
    assert s["id"]["pgt_beats_lora"] == 2 and s["id"]["pgt_beats_bitfit"] == 0
    assert s["id"]["rel_improvement_bitfit"] == pytest.approx(s["id"]["rel_improvement_pgt_1"])
    assert "| c | 0% (0-28) | 30% (11-60) | 30% (11-60) | 0% (0-28) | 0% (0-28) | 0% (0-28) | 30% (11-60) |" in \
        repro.markdown(peft_rows, 3, 10)


def test_the_table_marks_significant_changes_on_the_same_episodes_and_counts_them():
    n = 40
    z0 = [k < 10 for k in range(n)]  # 25%
    up = [k < 30 for k in range(n)]  # 75%: 20 episodes flip to success, none back
    same = list(z0)
    rows = []
    for name, pgt in (("up", up), ("flat", same)):
        outcomes = {m: {"id": v, "ood": v} for m, v in
                    (("z0", z0), ("pgt_1", pgt), ("bc_positive", same), ("full_ft", same))}
        rows.append({"task": name, "outcomes": outcomes,
                     "success": {m: {s: sum(v[s]) / n for s in v} for m, v in outcomes.items()}})
    s = repro.summarize(rows, rounds=1)
    assert s["paired"] and s["id"]["significantly_better_pgt_1"] == 1 and s["id"]["significantly_worse_pgt_1"] == 0
    ci = s["id"]["rel_improvement_interval_pgt_1"]
    assert ci["low"] < s["id"]["rel_improvement_pgt_1"] < ci["high"]
    table = repro.markdown(rows, 1, n)
    assert "| up | 25% (14-40) | 75% (60-86)* |" in table and "| flat | 25% (14-40) | 25% (14-40) |" in table
    assert "significantly better than z0 on 1/2 tasks" in table


def test_teacher_pairs_keep_ties():
    cfg = repro.ReproConfig(teacher_flip=0.0, teacher_tie=0.05, max_pairs=100)
    pairs = repro.make_pairs([0.0, 0.0, 1.0, 1.02, 1.5], cfg, round_index=1)
    assert len(pairs) == 10 and sum(p.label == "tie" for p in pairs) == 2

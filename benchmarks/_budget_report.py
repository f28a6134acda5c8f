"""Tables of bench_label_budget.py's results, every figure with its interval (pgt_core.stats).

    python benchmarks/_budget_report.py runs/label_budget.json      # re-print a saved run
    python benchmarks/_budget_report.py runs/a.json runs/b.json     # one report of runs on the same worlds

A configuration is (noise, mode, rounds, selection, tuning) at a budget of minutes.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pgt_core.stats import compare_paired, format_paired, mean_relative_improvement, tally  # noqa: E402

TARGET_MINUTES, TARGET_NOISE, TARGET_GAIN = 10.0, 0.1, 0.5

Config = tuple  # (noise, mode, rounds, selection, variant)


def _index(results: dict) -> tuple[dict, dict]:
    """({task: z0 outcomes}, {(*config, minutes): {task: record}})."""
    z0 = {t["task"]: np.asarray(t["z0"], bool) for t in results["tasks"]}
    by_key: dict[tuple, dict[str, dict]] = {}
    for t in results["tasks"]:
        for c in t["configs"]:
            key = (c["noise"], c["mode"], c.get("rounds", 1), c["selection"], c["variant"], c["minutes"])
            by_key.setdefault(key, {})[t["task"]] = c
    return z0, by_key


def _configs(by_key: dict, noise: float | None = None) -> list[Config]:
    found = {k[:5] for k in by_key if noise is None or k[0] == noise}
    return sorted(found, key=lambda v: (v[0], v[1], v[2], v[3] != "random", v[4] != "default", v[4]))


def _name(v: Config) -> str:
    return f"{v[1]}, {v[2]} round{'s' if v[2] > 1 else ''}, {v[3]}" + ("" if v[4] == "default" else f", tuning {v[4]}")


def _won(record: dict) -> np.ndarray:
    return np.asarray(record["outcomes"], bool)


def _gain_cell(z0: dict, per_task: dict) -> str:
    tasks = sorted(per_task)
    first, second = {t: z0[t] for t in tasks}, {t: _won(per_task[t]) for t in tasks}
    rel = mean_relative_improvement(first, second, n_boot=2000)
    counts = tally({t: compare_paired(first[t], second[t]) for t in tasks})
    success = np.mean([second[t].mean() for t in tasks])
    return (f"{success:.2f}: {rel.estimate:+.0%} [{rel.interval.low:+.0%}, {rel.interval.high:+.0%}] "
            f"({counts.improved}↑ {counts.worse}↓)")


def gain_tables(z0: dict, by_key: dict, minutes: list[float]) -> list[str]:
    lines = []
    for noise in sorted({k[0] for k in by_key}):
        start = np.mean([w.mean() for w in z0.values()])
        lines += ["", f"**Noise {noise:.0%}**: mean success over tasks (z0: {start:.2f}): mean relative "
                  "improvement over z0 [95% bootstrap CI] (tasks significantly better ↑ / worse ↓, "
                  "exact McNemar p < 0.05); tuning = tune_latent's defaults (guard included) unless named",
                  "", "| mode | rounds | selection | tuning | " + " | ".join(f"{m:g} min" for m in minutes) + " |",
                  "|---|---|---|---|" + "---|" * len(minutes)]
        for v in _configs(by_key, noise):
            cells = [_gain_cell(z0, by_key[(*v, m)]) if (*v, m) in by_key else "-" for m in minutes]
            lines.append(f"| {v[1]} | {v[2]} | {v[3]} | {v[4]} | " + " | ".join(cells) + " |")
    return lines


def task_tables(z0: dict, by_key: dict, minutes: list[float]) -> list[str]:
    """Success of every task per budget: rate, change vs z0 in points (* exact McNemar p < 0.05)."""
    lines = []
    for noise in sorted({k[0] for k in by_key}):
        lines += ["", f"**Per task, noise {noise:.0%}**: success; change vs z0 in points (* p < 0.05)", "",
                  "| task | configuration | " + " | ".join(f"{m:g} min" for m in minutes) + " |",
                  "|---|---|" + "---|" * len(minutes)]
        for task in sorted(z0):
            lines.append(f"| {task} | z0 | " + " | ".join(f"{z0[task].mean():.2f}" for _ in minutes) + " |")
            for v in _configs(by_key, noise):
                cells = []
                for m in minutes:
                    c = by_key.get((*v, m), {}).get(task)
                    if c is None:
                        cells.append("-")
                        continue
                    d = compare_paired(z0[task], _won(c))
                    cells.append(f"{_won(c).mean():.2f} ({d.difference * 100:+.0f}{'*' if d.significant else ''})")
                lines.append(f"| {task} | {_name(v)} | " + " | ".join(cells) + " |")
    return lines


def _pooled(per_task: dict) -> np.ndarray:
    return np.concatenate([_won(per_task[t]) for t in sorted(per_task)])


def _comparisons(noise: float) -> list[tuple[Config, Config, str]]:
    """(B, A, label) of B - A: modes against pairwise, 2 rounds against 1, active against random."""
    def cfg(mode: str, rounds: int, selection: str = "random") -> Config:
        return noise, mode, rounds, selection, "default"

    modes = ("pairwise", "per_episode", "best_of_k")
    out = [(cfg(m, r), cfg("pairwise", r), f"{m} - pairwise, {r} round{'s' if r > 1 else ''}")
           for r in (1, 2) for m in modes[1:]]
    out += [(cfg(m, 2), cfg(m, 1), f"{m}: 2 rounds - 1 round") for m in modes]
    return out + [(cfg(m, 2, "active"), cfg(m, 2), f"{m}, 2 rounds: active - random") for m in modes if m != modes[1]]


def versus_tables(by_key: dict, minutes: list[float]) -> list[str]:
    """Modes, rounds and selections head to head at equal minutes: all tasks' episodes pooled, paired."""
    lines = ["", "**Head to head at equal minutes** (default tuning): difference in success, points [95% CI], "
             "episodes of all tasks pooled and paired, exact McNemar p", "",
             "| noise | comparison | " + " | ".join(f"{m:g} min" for m in minutes) + " |",
             "|---|---|" + "---|" * len(minutes)]
    for noise in sorted({k[0] for k in by_key}):
        for a, b, label in _comparisons(noise):
            shown = [mm for mm in minutes if (*a, mm) in by_key and (*b, mm) in by_key]
            if not shown:
                continue
            cells = [format_paired(compare_paired(_pooled(by_key[(*b, mm)]), _pooled(by_key[(*a, mm)])))
                     if mm in shown else "-" for mm in minutes]
            lines.append(f"| {noise:.0%} | {label} | " + " | ".join(cells) + " |")
    return lines


def guard_table(z0: dict, by_key: dict, minutes: list[float]) -> list[str]:
    varied = {(k[:4], k[5]) for k in by_key if k[4] != "default"}  # configurations and budgets tuned otherwise too
    lines = ["", "**Guard and tuning variants** (the same answers tuned each way; 2 rounds: both tunes): mean "
             "relative improvement [95% CI]; worst task's change vs z0 in points; tasks significantly below z0; "
             "mean behavioural KL to the tune's start (nats/step); mean ||z - start||", "",
             "| noise | mode | rounds | selection | tuning | minutes | gain | worst task | below z0 | KL | L2 |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for v in _configs(by_key):
        for m in minutes:
            per = by_key.get((*v, m))
            if not per or (v[:4], m) not in varied:
                continue
            diffs = {t: compare_paired(z0[t], _won(c)) for t, c in per.items()}
            worst = min(diffs, key=lambda t: diffs[t].difference)
            kl = np.mean([c["kl"] or 0.0 for c in per.values()])
            l2 = np.mean([c["l2"] for c in per.values()])
            lines.append(f"| {v[0]:.0%} | {v[1]} | {v[2]} | {v[3]} | {v[4]} | {m:g} | {_gain_cell(z0, per)} | "
                         f"{worst} {diffs[worst].difference * 100:+.0f} | {tally(diffs).worse} | {kl:.3f} | {l2:.2f} |")
    return lines


def target_lines(z0: dict, by_key: dict) -> list[str]:
    """The issue's targets at <= 10 minutes and 10% noise, read from the intervals."""
    out = ["", f"**Targets** (<= {TARGET_MINUTES:g} min, noise {TARGET_NOISE:.0%}, default tuning):"]
    keys = [k for k in by_key if k[0] == TARGET_NOISE and k[4] == "default" and k[5] <= TARGET_MINUTES]
    if not keys:
        return out + ["- not measured (no configuration at that noise and budget)"]
    for k in sorted(keys, key=lambda k: (k[5], k[1], k[2], k[3])):
        per = by_key[k]
        tasks = sorted(per)
        rel = mean_relative_improvement({t: z0[t] for t in tasks}, {t: _won(per[t]) for t in tasks})
        worse = tally({t: compare_paired(z0[t], _won(per[t])) for t in tasks}).worse
        met = "met" if rel.estimate >= TARGET_GAIN and worse == 0 else "missed"
        sure = " (its interval's lower end too)" if rel.interval.low >= TARGET_GAIN else ""
        out.append(f"- {_name(k[:5])}, {k[5]:g} min: {rel.estimate:+.0%} [{rel.interval.low:+.0%}, "
                   f"{rel.interval.high:+.0%}], {worse} task(s) significantly below z0: {met} "
                   f"(target >= +{TARGET_GAIN:.0%}, none below){sure}")
    return out


def usage_lines(by_key: dict) -> list[str]:
    """Answers and minutes actually used per budget (a pool that runs out shows here)."""
    rows: dict[tuple, list[dict]] = {}
    for key, per in by_key.items():
        rows.setdefault((key[1], key[2], key[5]), []).extend(per.values())
    return ["", "answers (round 1 + round 2) and minutes used per budget, mean over tasks, noise levels and "
            "selections: " + "; ".join(
                f"{m} {r}r {mm:g} min: {np.mean([c['answers_first'] for c in cs]):.0f}"
                + (f"+{np.mean([c['answers'] - c['answers_first'] for c in cs]):.0f}" if r > 1 else "")
                + f" in {np.mean([c['minutes_used'] for c in cs]):.1f}" for (m, r, mm), cs in sorted(rows.items()))]


def report(results: dict) -> str:
    z0, by_key = _index(results)
    minutes = sorted({k[5] for k in by_key})
    a = results["args"]
    lines = [f"checkpoint {results['checkpoint']}; tasks {', '.join(z0)}; {a['eval_episodes']} evaluation episodes "
             f"per latent; playback {a['speed']:g}x; best-of-{a['k']}; 2 rounds: {a.get('first_share', 0.5):.0%} of "
             f"the minutes in round 1; seed {a['seed']}; default guard {results['default_guard']}; "
             f"{results.get('seconds', 0) / 60:.0f} min"]
    lines += gain_tables(z0, by_key, minutes) + versus_tables(by_key, minutes) + guard_table(z0, by_key, minutes)
    lines += target_lines(z0, by_key) + task_tables(z0, by_key, minutes) + usage_lines(by_key)
    return "\n".join(lines)


def merged(runs: list[dict]) -> dict:
    """Runs of the same seed and settings (e.g. one noise level each) as one: their configurations per task."""
    out = {**runs[0], "tasks": [], "seconds": sum(r.get("seconds", 0) for r in runs)}
    by_task: dict[str, dict] = {}
    for run in runs:
        if run["args"]["seed"] != out["args"]["seed"] or run["args"]["eval_episodes"] != out["args"]["eval_episodes"]:
            raise SystemExit("runs of different seeds or evaluation sizes do not share evaluation worlds")
        for t in run["tasks"]:
            if t["task"] not in by_task:
                by_task[t["task"]] = {**t, "configs": []}
                out["tasks"].append(by_task[t["task"]])
            if t["z0"] != by_task[t["task"]]["z0"]:
                raise SystemExit(f"{t['task']}: z0's outcomes differ between runs (not the same worlds)")
            by_task[t["task"]]["configs"] += t["configs"]
    return out


if __name__ == "__main__":
    print(report(merged([json.loads(Path(p).read_text()) for p in sys.argv[1:]])))

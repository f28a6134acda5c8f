"""Tables of bench_label_budget.py's results, every figure with its interval (pgt_core.stats).

    python benchmarks/_budget_report.py runs/label_budget.json      # re-print a saved run
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pgt_core.stats import compare_paired, format_paired, format_rate, mean_relative_improvement, success_rate, tally  # noqa: E402

TARGET_MINUTES, TARGET_NOISE, TARGET_GAIN = 10.0, 0.1, 0.5


def _key(c: dict) -> tuple:
    return c["noise"], c["mode"], c["selection"], c["variant"], c["minutes"]


def _index(results: dict) -> tuple[dict, dict]:
    """({task: z0 outcomes}, {config key: {task: config}})."""
    z0 = {t["task"]: np.asarray(t["z0"], bool) for t in results["tasks"]}
    by_key: dict[tuple, dict[str, dict]] = {}
    for t in results["tasks"]:
        for c in t["configs"]:
            by_key.setdefault(_key(c), {})[t["task"]] = c
    return z0, by_key


def _variants(by_key: dict) -> list[tuple]:
    return sorted({k[:4] for k in by_key}, key=lambda v: (v[0], v[1], v[2] != "random", v[3] != "default", v[3]))


def _gain_cell(z0: dict, per_task: dict) -> str:
    tasks = sorted(per_task)
    first = {t: z0[t] for t in tasks}
    second = {t: np.asarray(per_task[t]["outcomes"], bool) for t in tasks}
    rel = mean_relative_improvement(first, second, n_boot=2000)
    counts = tally({t: compare_paired(first[t], second[t]) for t in tasks})
    return (f"{rel.estimate:+.0%} [{rel.interval.low:+.0%}, {rel.interval.high:+.0%}] "
            f"({counts.improved}↑ {counts.worse}↓)")


def gain_tables(z0: dict, by_key: dict, minutes: list[float]) -> list[str]:
    lines = []
    for noise in sorted({k[0] for k in by_key}):
        lines += ["", f"**Noise {noise:.0%}**: mean relative improvement over z0 [95% bootstrap CI] (tasks "
                  "significantly better ↑ / worse ↓, exact McNemar p < 0.05); tuning = tune_latent's defaults "
                  "(its guard included) unless named",
                  "", "| mode | selection | tuning | " + " | ".join(f"{m:g} min" for m in minutes) + " |",
                  "|---|---|---|" + "---|" * len(minutes)]
        for v in (v for v in _variants(by_key) if v[0] == noise):
            cells = [_gain_cell(z0, by_key[(*v, m)]) if (*v, m) in by_key else "-" for m in minutes]
            lines.append(f"| {v[1]} | {v[2]} | {v[3]} | " + " | ".join(cells) + " |")
    return lines


def task_table(z0: dict, by_key: dict, noise: float, minutes: float) -> list[str]:
    variants = [v for v in _variants(by_key) if v[0] == noise and (*v, minutes) in by_key]
    head = "| task | z0 | " + " | ".join(f"{v[1]} {v[2]}" + ("" if v[3] == "default" else f" ({v[3]})")
                                         for v in variants) + " |"
    lines = ["", f"**Per task, {minutes:g} minutes, noise {noise:.0%}**: success [95% CI]; change vs z0 in points "
             "[95% CI], exact McNemar p (* p < 0.05)", "", head, "|---|---|" + "---|" * len(variants)]
    for task in sorted(z0):
        cells = []
        for v in variants:
            c = by_key[(*v, minutes)].get(task)
            if c is None:
                cells.append("-")
                continue
            won = np.asarray(c["outcomes"], bool)
            cells.append(f"{format_rate(success_rate(won))} {format_paired(compare_paired(z0[task], won))}")
        lines.append(f"| {task} | {format_rate(success_rate(z0[task]))} | " + " | ".join(cells) + " |")
    return lines


def _pooled(by_key: dict, key: tuple) -> np.ndarray:
    return np.concatenate([np.asarray(by_key[key][t]["outcomes"], bool) for t in sorted(by_key[key])])


def versus_tables(by_key: dict, minutes: list[float]) -> list[str]:
    """Mode against pairwise, and active against random, at equal minutes: all tasks' episodes pooled, paired."""
    lines = ["", "**Head to head at equal minutes** (default tuning): difference in success, points [95% CI], "
             "episodes of all tasks pooled and paired, exact McNemar p", "",
             "| noise | comparison | " + " | ".join(f"{m:g} min" for m in minutes) + " |",
             "|---|---|" + "---|" * len(minutes)]
    for noise in sorted({k[0] for k in by_key}):
        pairs = [((noise, m, "random", "default"), (noise, "pairwise", "random", "default"), f"{m} - pairwise")
                 for m in ("per_episode", "best_of_k")]
        pairs += [((noise, m, "active", "default"), (noise, m, "random", "default"), f"{m}: active - random")
                  for m in ("pairwise", "best_of_k")]
        for a, b, label in pairs:
            if not all((*a, mm) in by_key and (*b, mm) in by_key for mm in minutes):
                continue
            cells = [format_paired(compare_paired(_pooled(by_key, (*b, mm)), _pooled(by_key, (*a, mm))))
                     for mm in minutes]
            lines.append(f"| {noise:.0%} | {label} | " + " | ".join(cells) + " |")
    return lines


def guard_table(z0: dict, by_key: dict, minutes: list[float]) -> list[str]:
    variants = [v for v in _variants(by_key) if v[2] == "random"]
    guarded = {v[:3] for v in variants if v[3] != "default"}
    lines = ["", "**Guard and tuning variants** (the same answers tuned each way): mean relative improvement "
             "[95% CI]; worst task's "
             "change vs z0 in points; tasks significantly below z0; mean behavioural KL to z0 (nats/step); mean "
             "||z - z0||", "", "| noise | mode | tuning | minutes | gain | worst task | below z0 | KL | L2 |",
             "|---|---|---|---|---|---|---|---|---|"]
    for v in variants:
        if v[:3] not in guarded:
            continue
        for m in minutes:
            per = by_key.get((*v, m))
            if not per:
                continue
            diffs = {t: compare_paired(z0[t], np.asarray(c["outcomes"], bool)) for t, c in per.items()}
            worst = min(diffs, key=lambda t: diffs[t].difference)
            kl = np.mean([c["kl"] or 0.0 for c in per.values()])
            l2 = np.mean([c["l2"] for c in per.values()])
            lines.append(f"| {v[0]:.0%} | {v[1]} | {v[3]} | {m:g} | {_gain_cell(z0, per)} | "
                         f"{worst} {diffs[worst].difference * 100:+.0f} | {tally(diffs).worse} | {kl:.3f} | {l2:.2f} |")
    return lines


def target_lines(z0: dict, by_key: dict) -> list[str]:
    """The issue's targets at <= 10 minutes and 10% noise, read from the intervals."""
    out = ["", f"**Targets** (<= {TARGET_MINUTES:g} min, noise {TARGET_NOISE:.0%}, default tuning):"]
    keys = [k for k in by_key if k[0] == TARGET_NOISE and k[3] == "default" and k[4] <= TARGET_MINUTES]
    if not keys:
        return out + ["- not measured (no configuration at that noise and budget)"]
    for k in sorted(keys, key=lambda k: (k[4], k[1], k[2])):
        per = by_key[k]
        tasks = sorted(per)
        rel = mean_relative_improvement({t: z0[t] for t in tasks},
                                        {t: np.asarray(per[t]["outcomes"], bool) for t in tasks})
        worse = tally({t: compare_paired(z0[t], np.asarray(per[t]["outcomes"], bool)) for t in tasks}).worse
        met = "met" if rel.estimate >= TARGET_GAIN and worse == 0 else "missed"
        sure = " (its interval's lower end too)" if rel.interval.low >= TARGET_GAIN else ""
        out.append(f"- {k[1]} {k[2]}, {k[4]:g} min: {rel.estimate:+.0%} [{rel.interval.low:+.0%}, "
                   f"{rel.interval.high:+.0%}], {worse} task(s) significantly below z0: {met} "
                   f"(target >= +{TARGET_GAIN:.0%}, none below){sure}")
    return out


def report(results: dict) -> str:
    z0, by_key = _index(results)
    minutes = sorted({k[4] for k in by_key})
    a = results["args"]
    lines = [f"checkpoint {results['checkpoint']}; tasks {', '.join(z0)}; {a['eval_episodes']} evaluation episodes "
             f"per latent; playback {a['speed']:g}x; best-of-{a['k']}; default guard {results['default_guard']}; "
             f"{results.get('seconds', 0) / 60:.0f} min"]
    lines += gain_tables(z0, by_key, minutes)
    for noise in sorted({k[0] for k in by_key}):
        if TARGET_MINUTES in minutes:
            lines += task_table(z0, by_key, noise, TARGET_MINUTES)
    lines += versus_tables(by_key, minutes) + guard_table(z0, by_key, minutes) + target_lines(z0, by_key)
    answers = {}
    for per in by_key.values():
        for c in per.values():
            answers.setdefault((c["mode"], c["minutes"]), []).append(c["answers"])
    lines += ["", "answers per budget (mean over tasks and noise levels): " + "; ".join(
        f"{m} {mm:g} min: {np.mean(v):.0f}" for (m, mm), v in sorted(answers.items()))]
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(json.loads(Path(sys.argv[1]).read_text())))

"""The reproduction's tables and summary, every figure with its uncertainty.

A cell is a success rate with its 95% Wilson interval over the evaluation episodes. Where the run kept
per-episode outcomes (`row["outcomes"][method][split]`, the same episodes for every method), each method is
also compared with z0 on those episodes by an exact McNemar test: a cell marked `*` differs from z0 at
p < 0.05, and the summary counts the tasks that improved (or got worse) significantly and gives the mean
relative improvement with a paired bootstrap interval (`pgt_core.stats`). Older results without outcomes
get intervals only, and the table says so.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from pgt_core.stats import compare_paired, mean_relative_improvement, wilson_interval

SPLITS = (("id", "In distribution (tuning worlds, held-out episodes)", "in distribution"),
          ("ood", "Out of distribution (unseen world seeds)", "out of distribution"))


def methods(rounds: int) -> list[tuple[str, str]]:
    out = [("z0", "prompt z0"), ("pgt_1", "PGT 1 round")]
    if rounds > 1:
        out.append((f"pgt_{rounds}", f"PGT {rounds} rounds"))
    return out + [("bc_positive", "BC-positive"), ("full_ft", "full fine-tuning")]


def _paired(row: dict, method: str, split: str) -> tuple[list[bool], list[bool]] | None:
    outcomes = row.get("outcomes") or {}
    if method not in outcomes or "z0" not in outcomes:
        return None
    return outcomes["z0"][split], outcomes[method][split]


def relative_improvement(rows: list[dict], method: str, split: str) -> tuple[float | None, int]:
    """Mean over tasks of (method - z0) / z0, over the tasks where z0 > 0 (and how many those are)."""
    rel = [(r["success"][method][split] - r["success"]["z0"][split]) / r["success"]["z0"][split]
           for r in rows if r["success"]["z0"][split] > 0]
    return (float(np.mean(rel)) if rel else None), len(rel)


def summarize(rows: list[dict], rounds: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    final = f"pgt_{rounds}"
    paired = bool(rows) and all(r.get("outcomes") for r in rows)
    for split, _, _ in SPLITS:
        s: dict[str, Any] = {"mean_success": {m: float(np.mean([r["success"][m][split] for r in rows]))
                                              for m, _ in methods(rounds)}}
        for m in ("pgt_1", final, "bc_positive", "full_ft"):
            rel, n = relative_improvement(rows, m, split)
            s[f"rel_improvement_{m}"] = rel
            s["tasks_with_nonzero_z0"] = n
            if paired:
                tests = [compare_paired(*_paired(r, m, split)) for r in rows]
                s[f"significantly_better_{m}"] = sum(t.significant and t.difference > 0 for t in tests)
                s[f"significantly_worse_{m}"] = sum(t.significant and t.difference < 0 for t in tests)
                boot = mean_relative_improvement({r["task"]: _paired(r, m, split)[0] for r in rows},
                                                 {r["task"]: _paired(r, m, split)[1] for r in rows})
                s[f"rel_improvement_interval_{m}"] = boot.interval.to_dict()
        s["pgt_beats_bc"] = sum(r["success"][final][split] > r["success"]["bc_positive"][split] for r in rows)
        s["pgt_beats_ft"] = sum(r["success"][final][split] > r["success"]["full_ft"][split] for r in rows)
        out[split] = s
    out["tasks"] = len(rows)
    out["paired"] = paired
    return out


def cell(row: dict, method: str, split: str, n: int) -> str:
    """'68% (58-76)', with '*' where the exact McNemar test against z0 on the same episodes gives p < 0.05."""
    rate = row["success"][method][split]
    ci = wilson_interval(round(rate * n), n)
    text = f"{rate:.0%} ({ci.low * 100:.0f}-{ci.high * 100:.0f})"
    pair = _paired(row, method, split) if method != "z0" else None
    if pair is not None and compare_paired(*pair).significant:
        text += "*"
    return text


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:+.1%}"


def _interval(s: dict, m: str) -> str:
    ci = s.get(f"rel_improvement_interval_{m}")
    return f" (95% CI {ci['low']:+.0%} to {ci['high']:+.0%})" if ci and np.isfinite(ci["low"]) else ""


def markdown(rows: list[dict], rounds: int, eval_episodes: int) -> str:
    ms = methods(rounds)
    final = f"pgt_{rounds}"
    summary = summarize(rows, rounds)
    final_label = dict(ms)[final]
    lines = []
    for split, title, _ in SPLITS:
        lines += [f"**{title}**: success rate over {eval_episodes} episodes (95% Wilson interval)"
                  + ("; * = differs from z0 on the same episodes, exact McNemar p < 0.05" if summary["paired"] else ""),
                  "", "| task | " + " | ".join(label for _, label in ms)
                  + (f" | p ({final_label} vs z0)" if summary["paired"] else "") + " |",
                  "|---" * (len(ms) + 1 + summary["paired"]) + "|"]
        for r in rows:
            p = f" | {compare_paired(*_paired(r, final, split)).p_value:.2g}" if summary["paired"] else ""
            lines.append(f"| {r['task']} | " + " | ".join(cell(r, m, split, eval_episodes) for m, _ in ms) + p + " |")
        mean = summary[split]["mean_success"]
        lines.append("| **mean** | " + " | ".join(f"**{mean[m]:.1%}**" for m, _ in ms)
                     + (" | " if summary["paired"] else "") + " |")
        lines.append("")
    for split, _, name in SPLITS:
        s = summary[split]
        text = (f"- {name}: average relative improvement over z0 (tasks with z0 > 0: {s['tasks_with_nonzero_z0']}/"
                f"{len(rows)}): {final_label} {_pct(s[f'rel_improvement_{final}'])}{_interval(s, final)}, "
                + (f"PGT 1 round {_pct(s['rel_improvement_pgt_1'])}{_interval(s, 'pgt_1')}, " if rounds > 1 else "")
                + f"BC-positive {_pct(s['rel_improvement_bc_positive'])}, "
                f"full fine-tuning {_pct(s['rel_improvement_full_ft'])}; {final_label} beats BC-positive on "
                f"{s['pgt_beats_bc']}/{len(rows)} tasks and full fine-tuning on {s['pgt_beats_ft']}/{len(rows)}")
        if summary["paired"]:
            text += (f"; significantly better than z0 on {s[f'significantly_better_{final}']}/{len(rows)} tasks, "
                     f"significantly worse on {s[f'significantly_worse_{final}']}")
        lines.append(text + ".")
    if not summary["paired"]:
        lines.append("- These results carry no per-episode outcomes, so no paired test: intervals only.")
    return "\n".join(lines)

"""The reproduction's tables and summary, every figure with its uncertainty.

Separate from the driver (`pgt_core.reproduce`) so results files can be summarised without running
anything. A method appears in the table when every task row has it, so results written before a
baseline existed still summarise.

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


BASELINES: tuple[tuple[str, str], ...] = (
    ("bc_positive", "BC-positive"),
    ("full_ft", "full fine-tuning"),
    ("lora", "LoRA"),
    ("bitfit", "BitFit"),
)
"""Baselines trained on round-1 data, in table order: z-only BC, then the weight-tuning ones."""
SHORT = {"bc_positive": "bc", "full_ft": "ft"}  # summary keys: pgt_beats_bc, pgt_beats_ft, pgt_beats_lora, ...


def methods(rounds: int, rows: list[dict] | None = None) -> list[tuple[str, str]]:
    """(key, label) per table column; with `rows`, only the methods every row has."""
    pgt = [("pgt_1", "PGT 1 round")] + ([(f"pgt_{rounds}", f"PGT {rounds} rounds")] if rounds > 1 else [])
    out = [("z0", "prompt z0"), *pgt, *BASELINES]
    if rows:
        out = [(m, label) for m, label in out if all(m in r["success"] for r in rows)]
    return out


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
    ms = [m for m, _ in methods(rounds, rows)]
    for split, _, _ in SPLITS:
        s: dict[str, Any] = {"mean_success": {m: float(np.mean([r["success"][m][split] for r in rows])) for m in ms}}
        for m in ms:
            if m == "z0":
                continue
            rel, n = relative_improvement(rows, m, split)
            s[f"rel_improvement_{m}"] = rel
            s["tasks_with_nonzero_z0"] = n
            if paired and all(m in r["outcomes"] for r in rows):
                tests = [compare_paired(*_paired(r, m, split)) for r in rows]
                s[f"significantly_better_{m}"] = sum(t.significant and t.difference > 0 for t in tests)
                s[f"significantly_worse_{m}"] = sum(t.significant and t.difference < 0 for t in tests)
                boot = mean_relative_improvement({r["task"]: _paired(r, m, split)[0] for r in rows},
                                                 {r["task"]: _paired(r, m, split)[1] for r in rows})
                s[f"rel_improvement_interval_{m}"] = boot.interval.to_dict()
        for m, _ in BASELINES:
            if m in ms:
                s[f"pgt_beats_{SHORT.get(m, m)}"] = sum(r["success"][final][split] > r["success"][m][split]
                                                        for r in rows)
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
    ms = methods(rounds, rows)
    present = {m for m, _ in ms}
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
                + ", ".join(f"{label} {_pct(s[f'rel_improvement_{m}'])}" for m, label in BASELINES if m in present)
                + f"; {final_label} beats "
                + ", ".join(f"{label} on {s[f'pgt_beats_{SHORT.get(m, m)}']}/{len(rows)}" for m, label in BASELINES
                            if m in present) + " tasks")
        if summary["paired"]:
            text += (f"; significantly better than z0 on {s[f'significantly_better_{final}']}/{len(rows)} tasks, "
                     f"significantly worse on {s[f'significantly_worse_{final}']}")
        lines.append(text + ".")
    if not summary["paired"]:
        lines.append("- These results carry no per-episode outcomes, so no paired test: intervals only.")
    return "\n".join(lines)

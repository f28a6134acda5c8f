"""The reproduction's summary and markdown table: success per task and method, relative improvements, wins.

Separate from the driver (`pgt_core.reproduce`) so results files can be summarised without running
anything. A method appears in the table when every task row has it, so results written before a
baseline existed still summarise.
"""
from __future__ import annotations

from typing import Any, Protocol

import numpy as np

BASELINES: tuple[tuple[str, str], ...] = (
    ("bc_positive", "BC-positive"),
    ("full_ft", "full fine-tuning"),
    ("lora", "LoRA"),
    ("bitfit", "BitFit"),
)
"""Baselines trained on round-1 data, in table order: z-only BC, then the weight-tuning ones."""


class _EvalConfig(Protocol):
    eval_episodes: int


def methods(rounds: int, rows: list[dict] | None = None) -> list[tuple[str, str]]:
    """(key, label) per table column; with `rows`, only the methods every row has."""
    pgt = [("pgt_1", "PGT 1 round")] + ([(f"pgt_{rounds}", f"PGT {rounds} rounds")] if rounds > 1 else [])
    out = [("z0", "prompt z0"), *pgt, *BASELINES]
    if rows:
        out = [(m, label) for m, label in out if all(m in r["success"] for r in rows)]
    return out


def relative_improvement(rows: list[dict], method: str, split: str) -> tuple[float | None, int]:
    """Mean over tasks of (method - z0) / z0, over the tasks where z0 > 0 (and how many those are)."""
    rel = [(r["success"][method][split] - r["success"]["z0"][split]) / r["success"]["z0"][split]
           for r in rows if r["success"]["z0"][split] > 0]
    return (float(np.mean(rel)) if rel else None), len(rel)


def summarize(rows: list[dict], rounds: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    final = f"pgt_{rounds}"
    ms = [m for m, _ in methods(rounds, rows)]
    for split in ("id", "ood"):
        s: dict[str, Any] = {"mean_success": {m: float(np.mean([r["success"][m][split] for r in rows])) for m in ms}}
        for m in ms:
            if m == "z0":
                continue
            rel, n = relative_improvement(rows, m, split)
            s[f"rel_improvement_{m}"] = rel
            s["tasks_with_nonzero_z0"] = n
        short = {"bc_positive": "bc", "full_ft": "ft"}
        for m, _ in BASELINES:
            if m in ms:
                s[f"pgt_beats_{short.get(m, m)}"] = sum(r["success"][final][split] > r["success"][m][split]
                                                        for r in rows)
        out[split] = s
    out["tasks"] = len(rows)
    return out


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:+.1%}"


def markdown(rows: list[dict], rounds: int, cfg: _EvalConfig) -> str:
    ms = methods(rounds, rows)
    present = {m for m, _ in ms}
    final = f"pgt_{rounds}"
    summary = summarize(rows, rounds)
    lines = []
    for split, title in (("id", "In distribution (tuning worlds, held-out episodes)"),
                         ("ood", "Out of distribution (unseen world seeds)")):
        lines += [f"**{title}**: success rate over {cfg.eval_episodes} episodes", "",
                  "| task | " + " | ".join(label for _, label in ms) + " |",
                  "|---" * (len(ms) + 1) + "|"]
        for r in rows:
            lines.append(f"| {r['task']} | " + " | ".join(f"{r['success'][m][split]:.0%}" for m, _ in ms) + " |")
        mean = summary[split]["mean_success"]
        lines.append("| **mean** | " + " | ".join(f"**{mean[m]:.1%}**" for m, _ in ms) + " |")
        lines.append("")
    pgt = f"PGT {rounds} rounds" if rounds > 1 else "PGT 1 round"
    short = {"bc_positive": "bc", "full_ft": "ft"}
    for split, name in (("id", "in distribution"), ("ood", "out of distribution")):
        s = summary[split]
        rels = [f"{pgt} {_pct(s[f'rel_improvement_{final}'])}"]
        if rounds > 1:
            rels.append(f"PGT 1 round {_pct(s['rel_improvement_pgt_1'])}")
        rels += [f"{label} {_pct(s[f'rel_improvement_{m}'])}" for m, label in BASELINES if m in present]
        wins = [f"{label} on {s[f'pgt_beats_{short.get(m, m)}']}/{len(rows)}" for m, label in BASELINES
                if m in present]
        lines.append(f"- {name}: average relative improvement over z0 (tasks with z0 > 0: "
                     f"{s['tasks_with_nonzero_z0']}/{len(rows)}): {', '.join(rels)}; {pgt} beats "
                     f"{', '.join(wins)} tasks.")
    return "\n".join(lines)

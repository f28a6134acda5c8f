"""What a round asks of people before it starts: answers, seconds each, minutes in all, and presets.

Seconds per answer are the median of this mode's answers so far (this task's, else every task's) once there
are `pgt_core.human_time.MIN_MEASURED` of them, else the documented model of `pgt_core.human_time` (watching at
1x plus a decision time). Each item is answered `labels_per_item` times, but never twice by one person, so a
round for one person asks one answer per item. Episode length is the mean of the task's episodes so far, else
its time limit.
"""
from __future__ import annotations

import math
from typing import Any

from labeler.db.store import Store
from labeler.domain.round_config import SEEDS_PER_ROUND, RoundConfig
from labeler.domain.round_items import episodes_for_items, items_for_episodes
from pgt_core.human_time import MIN_MEASURED, PRESETS, seconds_per_answer


def plan_round(store: Store, task_id: int, cfg: RoundConfig, people: int, labels_per_item: int) -> dict[str, Any]:
    task = store.tasks.get(task_id)
    frames = episode_frames(store, task_id, int(task["max_steps"]))
    measured = measured_ms(store, task_id, cfg)
    per = seconds_per_answer(cfg.feedback, frames, k=cfg.k, measured_ms=measured)
    each = min(labels_per_item, people)
    items = items_for_episodes(cfg, cfg.round_size)
    minutes = items * each * per / 60
    presets = []
    for name, p in PRESETS.items():
        crowd = int(p["people"])
        p_each = min(labels_per_item, crowd)
        p_items = max(1, int(float(p["minutes"]) * 60 * crowd // (per * p_each)))
        size = min(SEEDS_PER_ROUND, max(episodes_for_items(cfg, p_items), cfg.k if cfg.feedback == "best_of_k" else 2))
        presets.append({"name": name, "minutes": float(p["minutes"]), "people": crowd,
                        "settings": {"feedback": cfg.feedback, "k": cfg.k, "pairs_per_traj": cfg.pairs_per_traj,
                                     "round_size": size}})
    return {"feedback": cfg.feedback, "episodes": cfg.round_size, "items": items, "answers": items * each,
            "people": people, "seconds_per_answer": round(per, 2),
            "source": "measured" if len(measured) >= MIN_MEASURED else "model", "measured_answers": len(measured),
            "episode_frames": frames, "minutes": round(minutes, 1), "minutes_per_person": round(minutes / people, 1),
            "presets": presets}


def episode_frames(store: Store, task_id: int, max_steps: int) -> int:
    lengths = [t["length"] for t in store.trajectories.list(task_id) if t.get("length")]
    return math.ceil(sum(lengths) / len(lengths)) + 1 if lengths else max_steps + 1


def measured_ms(store: Store, task_id: int, cfg: RoundConfig) -> list[float]:
    k = cfg.k if cfg.feedback == "best_of_k" else None
    own = store.items.answer_times_ms(cfg.feedback, task_id, k)
    return own if len(own) >= MIN_MEASURED else store.items.answer_times_ms(cfg.feedback, None, k)

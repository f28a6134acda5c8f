"""Plant quality checks in a task's labelling queue: gold pairs and repeated pairs.

Gold pairs are pairs whose answer the reward settles (one rollout succeeded, the other did
not, with a clear reward gap): existing pairs that qualify are registered first, then new
success-vs-failure pairs are added. Repeats re-show an already labelled pair later, under
*alias* trajectory ids (labels are unique per (pair, person), and the annotator must not
recognise the pair by its id); the scheduler's random side order usually swaps the sides,
which `labeler.quality.self_consistency` accounts for.

What tuning reads (labeler.domain.preferences) leaves repeats out, so a repeat never counts twice.
"""
from __future__ import annotations

import uuid
from typing import Any

import numpy as np

from labeler.db.store import Store
from labeler.domain.annotator_quality import gold_answers


def _round_items(store: Store, task_id: int, round_id: int | None) -> tuple[dict[str, dict], list[dict]]:
    trajs = {t["id"]: t for t in store.trajectories.list(task_id, round_id)}
    pairs = [p for p in store.pairs.list(task_id) if round_id is None or p["round_id"] == round_id]
    return trajs, pairs


def add_gold_checks(store: Store, task_id: int, round_id: int | None = None, n: int = 5,
                    min_reward_gap: float = 0.5, seed: int | None = None) -> list[dict[str, Any]]:
    """Register up to `n` gold pairs (existing qualifying pairs first, then new success-vs-failure pairs)."""
    rng = np.random.default_rng(seed)
    trajs, pairs = _round_items(store, task_id, round_id)
    aliases = store.quality.aliases()
    trajs = {k: v for k, v in trajs.items() if k not in aliases}
    registered = {int(c["pair_id"]) for c in store.quality.checks(task_id)}
    pairs = [p for p in pairs if p["traj_a"] in trajs and p["traj_b"] in trajs]
    answers = gold_answers(pairs, trajs, min_reward_gap)
    out = [store.quality.add_check(pid, task_id, "gold", expected=winner)
           for pid, winner in sorted(answers.items()) if pid not in registered][:n]
    need = n - len(out)
    if need <= 0:
        return out
    wins = [t for t in trajs.values() if t["success"]]
    losses = [t for t in trajs.values() if not t["success"]]
    taken = {frozenset((p["traj_a"], p["traj_b"])) for p in pairs}
    fresh = [(w["id"], lose["id"]) for w in wins for lose in losses
             if float(w["reward"]) - float(lose["reward"]) >= min_reward_gap
             and frozenset((w["id"], lose["id"])) not in taken]
    for k in rng.permutation(len(fresh))[:need]:
        winner, loser = fresh[int(k)]
        for row in store.pairs.add(task_id, [(winner, loser)], round_id, source="gold"):
            out.append(store.quality.add_check(row["id"], task_id, "gold", expected=winner))
    return out


def _alias(store: Store, traj: dict[str, Any]) -> str:
    alias = "t" + uuid.uuid4().hex[:15]
    store.trajectories.add(alias, traj["task_id"], seed=traj["seed"], length=traj["length"], reward=traj["reward"],
                         success=traj["success"], events=traj["events"], artifact=traj["artifact"],
                         round_id=traj["round_id"], latent_id=traj["latent_id"], meta=traj.get("meta") or {})
    store.quality.add_alias(alias, traj["id"])
    return alias


def add_repeat_checks(store: Store, task_id: int, round_id: int | None = None, n: int = 5,
                      seed: int | None = None) -> list[dict[str, Any]]:
    """Copy up to `n` labelled pairs (not checks themselves) as new pairs over alias trajectories."""
    rng = np.random.default_rng(seed)
    trajs, pairs = _round_items(store, task_id, round_id)
    registered = {int(c["pair_id"]) for c in store.quality.checks(task_id)}
    repeated = {int(c["original_pair_id"]) for c in store.quality.checks(task_id, "repeat")}
    aliases = store.quality.aliases()
    candidates = [p for p in pairs if p["n_labels"] > 0 and int(p["id"]) not in registered | repeated
                  and p["traj_a"] not in aliases and p["traj_b"] not in aliases]
    out = []
    for k in rng.permutation(len(candidates))[:n]:
        pair = candidates[int(k)]
        a = _alias(store, trajs.get(pair["traj_a"]) or store.trajectories.get(pair["traj_a"]))
        b = _alias(store, trajs.get(pair["traj_b"]) or store.trajectories.get(pair["traj_b"]))
        for row in store.pairs.add(task_id, [(a, b)], pair["round_id"], source="repeat"):
            out.append(store.quality.add_check(row["id"], task_id, "repeat", original_pair_id=int(pair["id"])))
    return out

"""Row schemas of the export: one row per label or pair, with both rollouts' full provenance."""
from __future__ import annotations

import functools
from typing import Any, Iterable

from labeler.export.sources import ExportSource, iter_labels, select_tasks

SIDE_COLUMNS: dict[str, str] = {
    "traj": "VARCHAR", "seed": "BIGINT", "latent_id": "BIGINT", "z_id": "VARCHAR", "sample_seed": "BIGINT",
    "greedy": "BOOLEAN", "reward": "DOUBLE", "success": "BOOLEAN", "length": "INTEGER", "artifact": "VARCHAR",
    "events": "JSON",
}
CONTEXT_COLUMNS: dict[str, str] = {
    "pair_id": "BIGINT", "pair_source": "VARCHAR", "pair_created_at": "TIMESTAMPTZ",
    "task_id": "BIGINT", "task": "VARCHAR", "env": "VARCHAR", "achievement": "VARCHAR", "max_steps": "INTEGER",
    "round_id": "BIGINT", "round_number": "INTEGER", "round_latent_id": "BIGINT",
    **{f"{side}_{k}": v for side in ("a", "b") for k, v in SIDE_COLUMNS.items()},
}
LABEL_COLUMNS: dict[str, str] = {
    "label_id": "BIGINT", "submission_id": "VARCHAR", "annotator": "VARCHAR", "choice": "VARCHAR",
    "preferred": "VARCHAR", "rejected": "VARCHAR", "shown_left": "VARCHAR", "shown_right": "VARCHAR",
    "time_spent_ms": "INTEGER", "playback_rate": "DOUBLE", "labelled_at": "TIMESTAMPTZ",
    "undone_at": "TIMESTAMPTZ", "undo_reason": "VARCHAR", **CONTEXT_COLUMNS,
}
ANSWER_COLUMNS: dict[str, str] = {
    "answer_id": "BIGINT", "submission_id": "VARCHAR", "annotator": "VARCHAR", "question_id": "BIGINT",
    "mode": "VARCHAR", "question_source": "VARCHAR", "answer": "JSON", "shown": "JSON",
    "time_spent_ms": "INTEGER", "playback_rate": "DOUBLE", "answered_at": "TIMESTAMPTZ", "undone_at": "TIMESTAMPTZ",
    "undo_reason": "VARCHAR", "task_id": "BIGINT", "task": "VARCHAR", "achievement": "VARCHAR",
    "round_id": "BIGINT", "round_number": "INTEGER", "round_latent_id": "BIGINT",
    "episodes": "JSON",  # the question's episodes in stored order, each with its full provenance
}
TUNING_PAIR_COLUMNS: dict[str, str] = {"task_id": "BIGINT", "task": "VARCHAR", "chosen": "VARCHAR",
                                       "rejected": "VARCHAR", "label": "VARCHAR", "group": "VARCHAR",
                                       "weight": "DOUBLE"}
PAIR_COLUMNS: dict[str, str] = {**CONTEXT_COLUMNS, "n_labels": "INTEGER"}


def _side(traj: dict[str, Any], source: ExportSource) -> dict[str, Any]:
    meta = traj.get("meta") or {}
    return {"traj": traj["id"], "seed": traj["seed"], "latent_id": traj.get("latent_id"), "z_id": meta.get("z_id"),
            "sample_seed": meta.get("sample_seed"), "greedy": meta.get("greedy"), "reward": traj["reward"],
            "success": traj["success"], "length": traj["length"],
            "artifact": source.artifact_location(traj["artifact"]), "events": traj.get("events") or []}


class _TaskIndex:
    """One task's rounds and trajectories by id, read once per export."""

    def __init__(self, source: ExportSource, task: dict[str, Any]) -> None:
        self.source = source
        self.task = task
        self.rounds = {r["id"]: r for r in source.list_rounds(task["id"])}
        self.trajs = {t["id"]: t for t in source.list_trajectories(task["id"])}
        self.pairs = {p["id"]: p for p in source.list_pairs(task["id"])}

    def context(self, pair: dict[str, Any]) -> dict[str, Any]:
        """Task, round and both rollouts' provenance for a pair (the shared part of label and pair rows)."""
        rnd = self.rounds.get(pair.get("round_id")) or {}
        row = {"pair_id": pair["id"], "pair_source": pair.get("source"), "pair_created_at": pair.get("created_at"),
               "task_id": self.task["id"], "task": self.task["name"], "env": self.task.get("env"),
               "achievement": self.task["achievement"], "max_steps": self.task["max_steps"],
               "round_id": pair.get("round_id"), "round_number": rnd.get("number"),
               "round_latent_id": rnd.get("latent_id")}
        for side in ("a", "b"):
            for k, v in _side(self.trajs[pair[f"traj_{side}"]], self.source).items():
                row[f"{side}_{k}"] = v
        return row


def label_rows(source: ExportSource, task: str | int | None = None) -> list[dict[str, Any]]:
    """One row per label (skips included) with the pair's full provenance (`LABEL_COLUMNS`)."""
    rows = []
    for t in select_tasks(source, task):
        index = _TaskIndex(source, t)
        for lab in iter_labels(source, t["id"]):
            preferred = lab.get("preferred")
            rejected = None
            if preferred is not None:
                rejected = lab["right_traj"] if preferred == lab["left_traj"] else lab["left_traj"]
            rows.append({"label_id": lab["id"], "submission_id": lab["submission_id"], "annotator": lab["annotator"],
                         "choice": lab["choice"], "preferred": preferred, "rejected": rejected,
                         "shown_left": lab["left_traj"], "shown_right": lab["right_traj"],
                         "time_spent_ms": lab.get("time_spent_ms"), "playback_rate": lab.get("playback_rate"),
                         "labelled_at": lab.get("created_at"), "undone_at": lab.get("undone_at"),
                         "undo_reason": lab.get("undo_reason"),
                         **index.context(index.pairs[lab["pair_id"]])})
    return rows


def pair_rows(source: ExportSource, task: str | int | None = None) -> list[dict[str, Any]]:
    """One row per pair, labelled or not, with provenance and its label count (`PAIR_COLUMNS`)."""
    rows = []
    for t in select_tasks(source, task):
        index = _TaskIndex(source, t)
        rows.extend({**index.context(p), "n_labels": p.get("n_labels", 0)} for p in index.pairs.values())
    return rows


def chosen_rejected(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The chosen/rejected format: one object per live decisive label (undone ones left out), from `label_rows`.

    {"task", "prompt": {...}, "chosen": {rollout}, "rejected": {rollout}, "annotator", ...}, where a
    rollout is {"trajectory_id", "artifact", "seed", "sample_seed", "latent_id", "z_id", "reward",
    "success", "length"} -- what preference-learning code (DPO/IPO trainers) expects per example.
    """
    out = []
    for r in rows:
        if r["preferred"] is None or r.get("undone_at") is not None:
            continue
        rollout = functools.partial(_rollout, r)
        out.append({
            "task": r["task"],
            "prompt": {"task": r["task"], "env": r["env"], "achievement": r["achievement"],
                       "max_steps": r["max_steps"], "round_latent_id": r["round_latent_id"]},
            "chosen": rollout(r["preferred"]), "rejected": rollout(r["rejected"]),
            "annotator": r["annotator"], "label_id": r["label_id"], "pair_id": r["pair_id"],
            "round_id": r["round_id"], "round_number": r["round_number"],
            "shown_left": r["shown_left"], "labelled_at": r["labelled_at"], "time_spent_ms": r["time_spent_ms"],
        })
    return out


def _rollout(row: dict[str, Any], traj_id: str) -> dict[str, Any]:
    """One side of a label row as a rollout record."""
    s = "a" if row["a_traj"] == traj_id else "b"
    return {"trajectory_id": traj_id, **{k: row[f"{s}_{k}"] for k in
            ("artifact", "seed", "sample_seed", "latent_id", "z_id", "reward", "success", "length")}}


def answer_rows(source: ExportSource, task: str | int | None = None) -> list[dict[str, Any]]:
    """One row per answer to a question (skips and undone answers included, marked) (`ANSWER_COLUMNS`)."""
    rows = []
    for t in select_tasks(source, task):
        index = _TaskIndex(source, t)
        for a in source.list_answers(t["id"]):
            rnd = index.rounds.get(a.get("round_id")) or {}
            rows.append({"answer_id": a["id"], "submission_id": a["submission_id"], "annotator": a["annotator"],
                         "question_id": a["question_id"], "mode": a["mode"],
                         "question_source": a.get("question_source"), "answer": a["answer"], "shown": a["shown"],
                         "time_spent_ms": a.get("time_spent_ms"), "playback_rate": a.get("playback_rate"),
                         "answered_at": a.get("created_at"), "undone_at": a.get("undone_at"),
                         "undo_reason": a.get("undo_reason"), "task_id": t["id"], "task": t["name"],
                         "achievement": t["achievement"], "round_id": a.get("round_id"),
                         "round_number": rnd.get("number"), "round_latent_id": rnd.get("latent_id"),
                         "episodes": [_side(index.trajs[e], source) for e in a["episodes"]]})
    return rows


def tuning_pair_rows(source: ExportSource, task: str | int | None = None) -> list[dict[str, Any]]:
    """What a tune job of each task would read now (`labeler.domain.preferences.tuning_pairs`)."""
    return [{"task_id": t["id"], "task": t["name"], **p} for t in select_tasks(source, task)
            for p in source.list_tuning_pairs(t["id"])]

"""What the researcher sees of rounds: each round with its counts and job, a task's page, a round's review."""
from __future__ import annotations

from typing import Any, Mapping

from labeler.db.store import Store
from labeler.domain.episodes import episode_view
from labeler.domain.latents import LatentLibrary
from labeler.domain.round_config import RoundConfig
from labeler.errors import Conflict, NotFound

_JOB_FIELDS = ("id", "kind", "task_id", "status", "worker", "attempts", "max_attempts", "progress", "message", "error",
               "created_at", "claimed_at", "heartbeat_at", "finished_at")
Counts = dict[int | None, dict[str, int]]


def job_summary(job: Mapping[str, Any]) -> dict[str, Any]:
    """A job without its payload (which can hold thousands of labels and three latents)."""
    payload = job.get("payload") or {}
    return {**{k: job.get(k) for k in _JOB_FIELDS}, "round_id": payload.get("round_id"), "step": payload.get("step")}


class RoundViews:
    def __init__(self, store: Store, library: LatentLibrary) -> None:
        self.store, self.library = store, library

    def label_counts(self, task_id: int) -> Counts:
        """Per round: pairs, labels (skips excluded) and decisive labels."""
        counts: Counts = {}
        for p in self.store.pairs.list(task_id):
            counts.setdefault(p["round_id"], {"pairs": 0, "labels": 0, "decisive": 0})["pairs"] += 1
        for label in self.store.labels.list(task_id=task_id, limit=None):
            if label["choice"] == "skip":
                continue
            c = counts.setdefault(label["round_id"], {"pairs": 0, "labels": 0, "decisive": 0})
            c["labels"] += 1
            c["decisive"] += label["choice"] in ("left", "right")
        return counts

    def round_view(self, round_id: int, counts: Counts | None = None) -> dict[str, Any]:
        rnd = self.store.rounds.get(round_id)
        return self._view(rnd, counts if counts is not None else self.label_counts(rnd["task_id"]))

    def _view(self, rnd: Mapping[str, Any], counts: Counts) -> dict[str, Any]:
        job = None
        if rnd["job_id"]:
            try:
                job = job_summary(self.store.jobs.get(rnd["job_id"]))
            except NotFound:
                job = None
        return {"id": rnd["id"], "task_id": rnd["task_id"], "number": rnd["number"], "status": rnd["status"],
                "config": rnd["config"] or RoundConfig().to_dict(), "base_latent_id": rnd["latent_id"],
                "candidate_latent_id": rnd["candidate_latent_id"], "error": rnd["error"], "job": job,
                "result": rnd["result"] or {}, "created_at": rnd["created_at"], "updated_at": rnd["updated_at"],
                **dict(counts.get(rnd["id"], {"pairs": 0, "labels": 0, "decisive": 0}))}

    def round_views(self, task_id: int) -> list[dict[str, Any]]:
        counts = self.label_counts(task_id)
        return [self._view(r, counts) for r in self.store.rounds.list(task_id)]

    def task_view(self, task_id: int) -> dict[str, Any]:
        task = self.store.tasks.get(task_id)
        jobs = [job_summary(j) for j in self.store.jobs.list(task_id=task_id, limit=30)]
        for j in jobs:
            j["log_tail"] = [line["message"] for line in self.store.jobs.logs(j["id"])[-6:]]
        rounds = self.round_views(task_id)
        return {"task": task, "active_latent_id": self.library.active_id(task_id), "rounds": rounds,
                "jobs": jobs, "latents": self.library.library(task_id, rounds),
                "promotions": self.store.latents.promotions(task_id)}

    def review(self, round_id: int) -> dict[str, Any]:
        """Before (z0) and after (the round's candidate) on the same seeds, for side-by-side videos."""
        rnd = self.store.rounds.get(round_id)
        ev = (rnd["result"] or {}).get("eval")
        if not ev:
            raise Conflict(f"round {rnd['number']} has no evaluation yet ({rnd['status']})")
        by = {(v["role"], v["seed"]): v["id"] for v in ev.get("review", [])}
        rows = []
        for seed in sorted({v["seed"] for v in ev.get("review", [])}):
            sides = {}
            for side, role in (("before", "prompt"), ("after", "candidate")):
                tid = by.get((role, seed))
                sides[side] = episode_view(self.store.trajectories.get(tid)) if tid else None
            rows.append({"seed": seed, **sides})
        return {"round": self._view(rnd, self.label_counts(rnd["task_id"])), "seeds": ev["seeds"],
                "rates": [{k: r[k] for k in ("latent_id", "role", "success_rate", "mean_reward")} for r in ev["rates"]],
                "rows": rows}

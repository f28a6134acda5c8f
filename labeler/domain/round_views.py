"""What the researcher sees of rounds: each round with its counts and job, a task's page, a round's review."""
from __future__ import annotations

from typing import Any, Mapping

from labeler.db.store import Store
from labeler.domain.ab_eval import ab_result
from labeler.domain.episodes import episode_view
from labeler.domain.latents import LatentLibrary
from labeler.domain.promotion import promotion
from labeler.domain.round_config import RoundConfig
from labeler.domain.tasks import success_measured
from labeler.errors import Conflict, FieldInvalid, NotFound
from pgt_core.stats import compare_paired, success_rate

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
        """Per round: pairs, labels (skips excluded), decisive labels, questions and their answers."""
        counts: Counts = {}
        new = lambda: {"pairs": 0, "labels": 0, "decisive": 0, "questions": 0, "answers": 0}
        for p in self.store.pairs.list(task_id):
            counts.setdefault(p["round_id"], new())["pairs"] += 1
        for label in self.store.labels.list(task_id=task_id, limit=None):
            if label["choice"] == "skip":
                continue
            c = counts.setdefault(label["round_id"], new())
            c["labels"] += 1
            c["decisive"] += label["choice"] in ("left", "right")
        for q in self.store.questions.list(task_id):
            counts.setdefault(q["round_id"], new())["questions"] += 1
        for a in self.store.answers.list(task_id):
            if not a["answer"].get("skip"):
                counts.setdefault(a["round_id"], new())["answers"] += 1
        return counts

    def round_view(self, round_id: int, counts: Counts | None = None) -> dict[str, Any]:
        with self.store.db.snapshot():
            rnd = self.store.rounds.get(round_id)
            return self._view(rnd, counts if counts is not None else self.label_counts(rnd["task_id"]))

    def _standing(self, task_id: int) -> tuple[list[int], int | None]:
        """The task's promotion stack and active latent, read once for all its rounds."""
        stack = self.library.stack(task_id)
        return stack, stack[-1] if stack else self.library.prompt_latent_id(task_id)

    def _view(self, rnd: Mapping[str, Any], counts: Counts,
              standing: tuple[list[int], int | None] | None = None) -> dict[str, Any]:
        job, rollout_job = self._job(rnd["job_id"]), self._job(rnd.get("rollout_job_id"))
        stack, active = standing or self._standing(rnd["task_id"])
        ev = (rnd["result"] or {}).get("eval")
        human = ab_result(self.store, rnd) if ev else None
        evaluation = None
        if ev:
            measured = success_measured(self.store.tasks.get(rnd["task_id"]))
            evaluation = {"method": RoundConfig.from_dict(rnd["config"]).evaluation, "success_measured": measured,
                          "rates": evaluation_rates(ev, measured), "comparisons": comparisons(ev) if measured else {},
                          "human": human, "reused": ev.get("reused", [])}
        advice = promotion(rnd, human) if ev else None
        return {"id": rnd["id"], "task_id": rnd["task_id"], "number": rnd["number"], "status": rnd["status"],
                "evaluation": evaluation, "advice": advice.to_dict() if advice else None,
                "config": rnd["config"] or RoundConfig().to_dict(), "base_latent_id": rnd["latent_id"],
                "candidate_latent_id": rnd["candidate_latent_id"], "error": rnd["error"], "job": job,
                # After a rollback the table and the latent stack must agree: a promoted round whose latent was
                # rolled back is no longer in use, and a round started from a latent that is no longer active
                # cannot be promoted on top of the one that is.
                "rolled_back": rnd["status"] == "promoted" and rnd["candidate_latent_id"] not in stack,
                "base_active": rnd["latent_id"] is None or rnd["latent_id"] == active,
                "rollout_job": rollout_job,
                "result": rnd["result"] or {}, "created_at": rnd["created_at"], "updated_at": rnd["updated_at"],
                **dict(counts.get(rnd["id"], {"pairs": 0, "labels": 0, "decisive": 0, "questions": 0, "answers": 0}))}

    def _job(self, job_id: int | None) -> dict[str, Any] | None:
        if not job_id:
            return None
        try:
            return job_summary(self.store.jobs.get(job_id))
        except NotFound:
            return None

    def round_views(self, task_id: int) -> list[dict[str, Any]]:
        with self.store.db.snapshot():
            counts, standing = self.label_counts(task_id), self._standing(task_id)
            return [self._view(r, counts, standing) for r in self.store.rounds.list(task_id)]

    def task_view(self, task_id: int) -> dict[str, Any]:
        with self.store.db.snapshot():
            return self._task_view(task_id)

    def _task_view(self, task_id: int) -> dict[str, Any]:
        task = self.store.tasks.get(task_id)
        jobs = [job_summary(j) for j in self.store.jobs.list(task_id=task_id, limit=30)]
        for j in jobs:
            j["log_tail"] = [line["message"] for line in self.store.jobs.logs(j["id"])[-6:]]
        rounds = self.round_views(task_id)
        return {"task": task, "active_latent_id": self.library.active_id(task_id), "rounds": rounds,
                "jobs": jobs, "latents": self.library.library(task_id, rounds),
                "promotions": self.store.latents.promotions(task_id)}

    def review(self, round_id: int, outcome: str = "all", offset: int = 0, limit: int = 20) -> dict[str, Any]:
        """Before (the round's start latent) and after (its candidate) on the same seeds, side by side.

        Rows are every evaluation seed kept with its episodes, each with its outcome for the candidate
        (win: only the candidate succeeded, loss: only the start did, both, neither); `outcome` filters
        them and `offset`/`limit` page through them. `counts` has the number of rows of each outcome.
        """
        with self.store.db.snapshot():
            return self._review(round_id, outcome, offset, limit)

    def _review(self, round_id: int, outcome: str, offset: int, limit: int) -> dict[str, Any]:
        rnd = self.store.rounds.get(round_id)
        ev = (rnd["result"] or {}).get("eval")
        if not ev:
            raise Conflict(f"round {rnd['number']} has no evaluation yet ({rnd['status']})")
        if outcome not in OUTCOMES:
            raise FieldInvalid("outcome", f"must be one of {', '.join(OUTCOMES)}", where="query")
        view = self._view(rnd, self.label_counts(rnd["task_id"]))
        evaluation = view["evaluation"]  # its rates and paired comparisons, computed once for the round and its review
        measured = evaluation["success_measured"]
        roles = {r["role"] for r in ev["rates"]}
        start_role = "base" if "base" in roles else "prompt"
        by = {(v["role"], v["seed"]): v["id"] for v in ev.get("review", [])}
        before_role = start_role if any(role == start_role for role, _ in by) else "prompt"
        rows = []
        for seed in sorted({v["seed"] for v in ev.get("review", [])}):
            before, after = (by.get((role, seed)) for role in (before_role, "candidate"))
            views = {side: _episode(self.store.trajectories.get(tid), measured) if tid else None
                     for side, tid in (("before", before), ("after", after))}
            rows.append({"seed": seed, **views, "outcome": _outcome(views["before"], views["after"])})
        counts = {k: sum(r["outcome"] == k for r in rows) for k in OUTCOMES if k != "all"} if measured else {}
        chosen = [r for r in rows if outcome == "all" or r["outcome"] == outcome]
        return {"round": view, "method": evaluation["method"], "success_measured": measured,
                "seeds": ev["seeds"], "rates": evaluation["rates"], "comparisons": evaluation["comparisons"],
                "before_role": before_role, "counts": counts,
                "total": len(chosen), "rows": chosen[max(0, offset):max(0, offset) + max(1, limit)]}


OUTCOMES = ("all", "win", "loss", "both", "neither")


def _episode(traj: Mapping[str, Any], measured: bool) -> dict[str, Any]:
    view = episode_view(traj)
    return view if measured else {**view, "reward": None, "success": None}


def _outcome(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> str | None:
    if before is None or after is None or before["success"] is None or after["success"] is None:
        return None
    return {(False, True): "win", (True, False): "loss", (True, True): "both", (False, False): "neither"}[
        (bool(before["success"]), bool(after["success"]))]


def evaluation_rates(ev: Mapping[str, Any], measured: bool = True) -> list[dict[str, Any]]:
    """Each latent's success rate on the evaluation seeds, with its 95% Wilson interval (None for all three
    without a success to count: `success_measured`)."""
    out = []
    for r in ev.get("rates", []):
        if not measured:
            out.append({"latent_id": r["latent_id"], "role": r["role"], "success_rate": None, "mean_reward": None,
                        "n": len(r.get("success") or []), "interval": None})
            continue
        rate = success_rate(r["success"]) if r.get("success") is not None else None
        out.append({k: r[k] for k in ("latent_id", "role", "success_rate", "mean_reward")}
                   | {"n": rate.n if rate else None, "interval": rate.interval.to_dict() if rate else None})
    return out


def comparisons(ev: Mapping[str, Any]) -> dict[str, Any]:
    """The candidate against its start latent and against z0 on the same episodes (exact McNemar, Newcombe CI)."""
    by_role = {r["role"]: r for r in ev.get("rates", []) if r.get("success") is not None}
    cand = by_role.get("candidate")
    out: dict[str, Any] = {}
    if cand is None:
        return out
    start = "base" if "base" in by_role else "prompt"
    for key, role, name in (("vs_start", start, "start"), ("vs_z0", "prompt", "z0")):
        if role in by_role:
            c = compare_paired(by_role[role]["success"], cand["success"])
            out[key] = {**c.to_dict(), "summary": c.summary(name, "candidate"), "against": role}
    return out

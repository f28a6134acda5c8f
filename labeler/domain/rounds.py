"""Rounds of preference goal tuning, per task: one state machine over jobs.

    collecting   a rollout job plays `round_size` episodes under the round's base latent
    labelling    people answer about them (the annotator view) in the round's feedback mode: pairs, one
                 episode at a time or K at once (`round_items`); the researcher starts tuning
    tuning       a tune job runs DPO on *all* the task's resolved preferences so far, from the base latent
                 (one that beats nothing on held-out pairs returns the round to labelling)
    evaluating   an evaluate job plays the candidate on the round's fixed evaluation seeds; z0 and the base
                 were evaluated on them before (`evaluations`: while people labelled, or in earlier rounds)
    review       the researcher compares before/after episodes and success rates, and/or people's blind
                 A/B of start vs candidate on the same seeds (`ab_eval`). Meanwhile a
                 background rollout job plays `round_size` fresh episodes under the candidate: the
                 next round's material if it is promoted (the review never waits for them)
    promoting    promoted before those episodes were in: promotion completes when they are
    promoted | rejected   (rejecting cancels the background rollout; failed: a job failed for good)

Why a state machine advanced by `reconcile()`: a job's result is stored with the job (the
worker's `complete`) and applied to the round afterwards, in one transaction with everything it
starts (the round's items, A/B pairs, the next job). Whatever dies in between -- the worker (the job
is retried), the app (the result waits in the jobs table) -- the next reconcile picks up exactly
where things stopped, and nothing is applied twice or half-way (trajectories are keyed by id, a
tuned latent by the job that made it). A failed job changes nothing but the round's status: the
task's active latent stays.
"""
from __future__ import annotations

import threading
from typing import Any, Mapping

from labeler.db.jobs import BACKGROUND
from labeler.db.store import Store
from labeler.domain.ab_eval import ab_result, make_ab_pairs
from labeler.domain.evaluations import assemble, keep_played
from labeler.domain.ingest import register_episodes
from labeler.domain.latents import LatentLibrary
from labeler.domain.promotion import promotion
from labeler.domain.round_config import RoundConfig, train_seeds
from labeler.domain.round_items import make_round_items
from labeler.domain.round_jobs import STEP_JOBS, RoundJobs
from labeler.errors import Conflict, FieldInvalid, NotFound, StoreError
from labeler.files.artifacts import Artifacts

TERMINAL = ("promoted", "rejected", "failed")
PURPOSE = {"collecting": "collect", "rolling_out": "candidate", "evaluating": "review"}


def check_reward_settings(task: Mapping[str, Any], cfg: RoundConfig) -> None:
    """A task without a reward function (no achievement) has nothing to order pairs by or to count success with."""
    if task["achievement"]:
        return
    if cfg.preferences == "reward":
        raise FieldInvalid("preferences", f"task {task['name']} has no reward function: its preferences are labels")
    if cfg.evaluation != "human":
        raise FieldInvalid("evaluation", f"task {task['name']} has no reward function: its evaluation is human")


class Rounds:
    """The researcher's operations on rounds and the reconciler; one per app."""

    def __init__(self, store: Store, artifacts: Artifacts, library: LatentLibrary, jobs: RoundJobs) -> None:
        self.store, self.artifacts, self.library, self.jobs = store, artifacts, library, jobs
        self.lock: threading.RLock = library.lock

    # -- the researcher's operations ----------------------------------------------------------
    def start_round(self, task_id: int, settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
        cfg = RoundConfig.from_dict(settings)
        with self.lock, self.store.db.transaction():
            task = self.store.tasks.get(task_id)
            check_reward_settings(task, cfg)
            rounds = self.store.rounds.list(task_id)
            if rounds and rounds[-1]["status"] not in TERMINAL:
                raise Conflict(f"round {rounds[-1]['number']} of {task['name']} is {rounds[-1]['status']}; "
                               "finish or reject it before starting another")
            base = self.library.active_id(task_id)
            if base is None:
                raise Conflict(f"task {task['name']} has no latent; create it from a prompt clip")
            rnd = self.store.rounds.create(task_id, base, "collecting", cfg.to_dict())
            seeds = train_seeds(task_id, rnd["number"], cfg.round_size)
            reuse = self._candidate_episodes(rounds[-1], base, seeds) if rounds else []
            if len(reuse) == len(seeds):
                self._start_labelling(rnd, [t["id"] for t in reuse], cfg)
            else:  # collect what the previous candidate's episodes do not cover
                if reuse:
                    rnd = self.store.rounds.update(rnd["id"], result={"reused": {
                        "episodes": [t["id"] for t in reuse], "seeds": [t["seed"] for t in reuse]}})
                self._start_step(rnd, "collecting", cfg)
        return self.store.rounds.get(rnd["id"])

    def start_tuning(self, round_id: int, settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
        with self.lock:
            rnd = self.store.rounds.get(round_id)
            if rnd["status"] != "labelling":
                raise Conflict(f"round {rnd['number']} is {rnd['status']}; tuning starts from labelling")
            cfg = RoundConfig.from_dict(settings, RoundConfig.from_dict(rnd["config"]))
            check_reward_settings(self.store.tasks.get(rnd["task_id"]), cfg)
            self._start_step(rnd, "tuning", cfg)
        return self.store.rounds.get(round_id)

    def retry(self, round_id: int, settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Run a failed round's failed step again (fresh job; settings may change, e.g. a smaller lr)."""
        with self.lock:
            rnd = self.store.rounds.get(round_id)
            if rnd["status"] != "failed":
                raise Conflict(f"round {rnd['number']} is {rnd['status']}; only failed rounds are retried")
            step = (rnd["result"] or {}).get("failed_step")
            if step not in STEP_JOBS:
                raise Conflict("this round cannot be retried; start a new one")
            cfg = RoundConfig.from_dict(settings, RoundConfig.from_dict(rnd["config"]))
            self._start_step(rnd, step, cfg)
        return self.store.rounds.get(round_id)

    def promote(self, round_id: int, confirm: bool = False) -> dict[str, Any]:
        """Make the candidate the task's active latent: at once when its episodes are in (or could not be made),
        else the round waits in `promoting` and the reconciler finishes the promotion when they arrive.
        A candidate that did worse than its start in the review needs `confirm`."""
        with self.lock:
            rnd = self.store.rounds.get(round_id)
            if rnd["status"] == "promoting":
                return rnd
            if rnd["status"] != "review":
                raise Conflict(f"round {rnd['number']} is {rnd['status']}; only a round in review can be promoted")
            if rnd["latent_id"] is not None and rnd["latent_id"] != self.library.active_id(rnd["task_id"]):
                # Its candidate was tuned from a latent the task no longer runs on (rolled back since).
                raise Conflict(f"round {rnd['number']} started from latent #{rnd['latent_id']}, which is no longer "
                               "the task's active latent; reject it, or make that latent active again first")
            advice = promotion(rnd, ab_result(self.store, rnd))
            if advice is not None and advice.needs_confirmation and not confirm:
                raise Conflict(f"{advice.flag}: send confirm=true to promote it anyway")
            if self._rollout_pending(rnd):
                return self.store.rounds.update(round_id, status="promoting")
            return self._finish_promotion(rnd)

    def _finish_promotion(self, rnd: Mapping[str, Any]) -> dict[str, Any]:
        with self.store.db.transaction():  # the task's active latent and the round's status change together
            self.library.promote(rnd["candidate_latent_id"], rnd["id"])
            return self.store.rounds.update(rnd["id"], status="promoted")

    def reject(self, round_id: int) -> dict[str, Any]:
        """Close a round without promoting its latent (the task keeps its active latent); the candidate's
        background rollout, no longer anyone's material, is cancelled."""
        with self.lock:
            rnd = self.store.rounds.get(round_id)
            if rnd["status"] not in ("labelling", "review", "promoting", "failed"):
                raise Conflict(f"round {rnd['number']} is {rnd['status']}; wait for its job to finish")
            with self.store.db.transaction():
                if rnd["rollout_job_id"]:
                    self.store.jobs.cancel(rnd["rollout_job_id"], "the candidate was rejected")
                return self.store.rounds.update(round_id, status="rejected")

    def _rollout_pending(self, rnd: Mapping[str, Any]) -> bool:
        if not rnd["rollout_job_id"]:
            return False
        return self.store.jobs.get(rnd["rollout_job_id"])["status"] in ("queued", "running")

    # -- steps ----------------------------------------------------------------------------------
    def _start_step(self, rnd: Mapping[str, Any], step: str, cfg: RoundConfig) -> dict[str, Any]:
        if step == "evaluating" and self._take_ahead(rnd, stop=True):
            rnd = self.store.rounds.get(rnd["id"])
        kind, payload = self.jobs.payload(rnd, step, cfg)
        with self.store.db.transaction():  # never a job the round does not know of
            job = self.store.jobs.enqueue(kind, rnd["task_id"], payload, max_attempts=cfg.max_attempts)
            self.store.rounds.update(rnd["id"], status=step, config=cfg.to_dict(), job_id=job["id"], error=None)
        return job

    def _candidate_episodes(self, prev: Mapping[str, Any], base: int, seeds: list[int]) -> list[dict[str, Any]]:
        """The previous round's candidate rollouts on this round's worlds, when that candidate was promoted and is
        the base now: the very episodes a collect would play (the same latent on the same world seeds; a round's
        seeds are the first `round_size` of its range), so a smaller round takes the first ones."""
        if prev["status"] != "promoted" or prev["candidate_latent_id"] != base:
            return []
        wanted = set(seeds)
        return sorted((t for t in self.store.trajectories.list(prev["task_id"], prev["id"])
                       if t["latent_id"] == base and (t["meta"] or {}).get("purpose") == "candidate"
                       and t["seed"] in wanted), key=lambda t: t["seed"])

    def _implicit_rewards(self, traj_ids: list[str], beta: float) -> dict[str, float]:
        """The implicit rewards the worker stored with the episodes (under the latent that played them), at this
        round's beta (the job that scored them may have had another: the reward is beta times a log-ratio)."""
        out = {}
        for t in traj_ids:
            meta = self.store.trajectories.get(t)["meta"] or {}
            if meta.get("implicit_reward") is not None:
                out[t] = float(meta["implicit_reward"]) * beta / float(meta.get("implicit_beta") or beta)
        return out

    def _start_labelling(self, rnd: Mapping[str, Any], traj_ids: list[str], cfg: RoundConfig) -> None:
        """Queue the round's items for people and, behind everything else, the evaluation of its start latents."""
        make_round_items(self.store, rnd, traj_ids, cfg, self._implicit_rewards(traj_ids, cfg.beta))
        result = dict(self.store.rounds.get(rnd["id"])["result"] or {})
        ahead = self.jobs.evaluate_ahead(rnd, cfg)
        if ahead is not None:
            job = self.store.jobs.enqueue("evaluate", rnd["task_id"], ahead, max_attempts=cfg.max_attempts,
                                          priority=BACKGROUND)
            result["ahead"] = {"job_id": job["id"]}
        self.store.rounds.update(rnd["id"], status="labelling", result=result)

    def _take_ahead(self, rnd: Mapping[str, Any], stop: bool = False) -> int:
        """Keep the start latents' evaluation once its job is done (`stop`: cancel it if it is not: the round's
        evaluation plays whatever it did not get to)."""
        ahead = (rnd["result"] or {}).get("ahead")
        if not ahead or "status" in ahead:
            return 0
        try:
            job = self.store.jobs.get(ahead["job_id"])
        except NotFound:
            job = {"status": "failed"}
        if job["status"] in ("queued", "running") and not stop:
            return 0
        taken: dict[str, Any] = {}
        try:
            with self.store.db.transaction():
                if job["status"] in ("queued", "running"):
                    job = self.store.jobs.cancel(ahead["job_id"], "the round's evaluation started first")
                kept = keep_played(self.store, self.artifacts, rnd["id"], job) if job["status"] == "done" else []
                taken = {"status": job["status"], "kept": kept}
        except (StoreError, OSError, KeyError, ValueError) as exc:  # the round's evaluation plays them instead
            taken = {"status": "failed", "kept": [], "error": f"its result could not be kept: {exc}"}
        self.store.rounds.update(rnd["id"], result={**(rnd["result"] or {}), "ahead": {**ahead, **taken}})
        return 1

    # -- applying job results -----------------------------------------------------------------
    def reconcile(self) -> int:
        """Advance every round whose job finished (or fail it); idempotent, safe to call any time. Each round's
        step is applied in one transaction with what it starts: a crash leaves it applied whole or not at all."""
        moved = 0
        with self.lock:
            for rnd in self.store.rounds.list():
                moved += self._take_ahead(rnd)
            for rnd in self.store.rounds.list(statuses=("review", "promoting")):
                moved += self._take_candidate_rollout(rnd)
            for rnd in self.store.rounds.list(statuses=STEP_JOBS):
                try:
                    job = self.store.jobs.get(rnd["job_id"]) if rnd["job_id"] else None
                except NotFound:
                    job = None
                if job is None:
                    self._fail(rnd, "its job is missing")
                elif job["status"] == "done":
                    try:
                        with self.store.db.transaction():
                            self._apply(rnd, job)
                    except (StoreError, OSError, KeyError, ValueError) as exc:
                        self._fail(rnd, f"applying the result of {job['kind']} job {job['id']} failed: {exc}")
                elif job["status"] == "failed":
                    self._fail(rnd, f"{job['kind']} job {job['id']} failed after {job['attempts']} attempt(s): "
                                    f"{job['error']}")
                else:
                    continue
                moved += 1
        return moved

    def _fail(self, rnd: Mapping[str, Any], error: str) -> None:
        result = {**(rnd["result"] or {}), "failed_step": rnd["status"]}
        self.store.rounds.update(rnd["id"], status="failed", error=error, result=result)

    def _apply(self, rnd: Mapping[str, Any], job: Mapping[str, Any]) -> None:
        step, res, payload = rnd["status"], job["result"] or {}, job["payload"]
        cfg = RoundConfig.from_dict(rnd["config"])
        result = dict(rnd["result"] or {})
        if step == "collecting":
            ids = self._register(rnd, res["trajectories"], payload["latent_id"], job, step)
            reused = result.get("reused", {}).get("episodes", [])
            result["collect"] = {"episodes": len(ids), "reused": len(reused), "success_rate": res.get("success_rate")}
            self._start_labelling(self.store.rounds.update(rnd["id"], result=result), ids + reused, cfg)
        elif step == "tuning":
            result["tune"] = {k: v for k, v in res.items() if k != "z"}
            if res.get("best_epoch") == 0:
                # Nothing beat the start latent on held-out pairs: the candidate would be the start itself, so
                # rolling it out and evaluating it would spend minutes on a copy. Back to labelling, saying so.
                result["tune"]["no_change"] = True
                self.store.rounds.update(rnd["id"], status="labelling", result=result, job_id=None)
                return
            cand = self._tuned_latent(rnd, job)
            # Evaluate first: the review needs the evaluation, not the candidate's next-round episodes.
            self._start_step(self.store.rounds.update(rnd["id"], candidate_latent_id=cand, result=result),
                             "evaluating", cfg)
        elif step == "rolling_out":  # rounds of earlier versions, caught between the old steps
            ids = self._register(rnd, res["trajectories"], payload["latent_id"], job, step)
            result["rollout"] = {"episodes": len(ids), "success_rate": res.get("success_rate")}
            self._start_step(self.store.rounds.update(rnd["id"], result=result), "evaluating", cfg)
        elif step == "evaluating":
            self._apply_evaluation(rnd, job, cfg, result)

    def _apply_evaluation(self, rnd: Mapping[str, Any], job: Mapping[str, Any], cfg: RoundConfig,
                          result: dict[str, Any]) -> None:
        """The review opens; people's blind A/B pairs and the candidate's background rollout start with it."""
        res, payload = job["result"] or {}, job["payload"]
        if "inputs" in payload:
            keep_played(self.store, self.artifacts, rnd["id"], job)
            result["eval"] = assemble(self.store, payload, res)
        else:  # queued by an earlier version: it played every latent itself
            for kept in res.get("review", []):
                self._register(rnd, [kept], kept["latent_id"], job, "evaluating")
            result["eval"] = res
        rnd = self.store.rounds.update(rnd["id"], status="review", result=result)
        if cfg.evaluation in ("human", "both"):
            make_ab_pairs(self.store, rnd, result["eval"], cfg.ab_pairs)
        if "rollout" not in result and not rnd["rollout_job_id"]:
            kind, payload = self.jobs.payload(rnd, "rolling_out", cfg)
            background = self.store.jobs.enqueue(kind, rnd["task_id"], payload, max_attempts=cfg.max_attempts)
            self.store.rounds.update(rnd["id"], rollout_job_id=background["id"])

    def _take_candidate_rollout(self, rnd: Mapping[str, Any]) -> int:
        """Register the background rollout's episodes once its job is done; finish a waiting promotion."""
        if not rnd["rollout_job_id"] or "rollout" in (rnd["result"] or {}):
            return 0
        try:
            job = self.store.jobs.get(rnd["rollout_job_id"])
        except NotFound:
            job = {"status": "failed", "error": "its job is missing"}
        if job["status"] in ("queued", "running"):
            return 0
        result = dict(rnd["result"] or {})
        with self.store.db.transaction():  # the episodes, the round's record of them and a waiting promotion
            if job["status"] == "done":
                try:
                    ids = self._register(rnd, job["result"]["trajectories"], rnd["candidate_latent_id"], job,
                                         "rolling_out")
                    result["rollout"] = {"episodes": len(ids), "success_rate": job["result"].get("success_rate")}
                except (StoreError, OSError, KeyError) as exc:
                    result["rollout"] = {"episodes": 0, "error": f"its episodes could not be registered: {exc}"}
            else:  # the next round will collect its own episodes; the promotion does not depend on these
                result["rollout"] = {"episodes": 0, "error": job.get("error") or job["status"]}
            rnd = self.store.rounds.update(rnd["id"], result=result)
            if rnd["status"] == "promoting":
                self._finish_promotion(rnd)
        return 1

    def _register(self, rnd: Mapping[str, Any], episodes: list[dict[str, Any]], latent_id: int,
                  job: Mapping[str, Any], step: str) -> list[str]:
        def scored(ep: Mapping[str, Any]) -> dict[str, Any]:  # active selection orders comparisons by it
            if ep.get("implicit_reward") is None:
                return {}
            return {"implicit_reward": float(ep["implicit_reward"]), "implicit_beta": job["payload"].get("beta")}

        return register_episodes(self.store, self.artifacts, self.store.tasks.get(rnd["task_id"]),
                                 [{"id": ep["id"], "meta": scored(ep)} for ep in episodes], rnd["id"], latent_id,
                                 {"purpose": PURPOSE[step], "job_id": job["id"]})

    def _tuned_latent(self, rnd: Mapping[str, Any], job: Mapping[str, Any]) -> int:
        for latent in self.store.latents.list(rnd["task_id"]):
            if (latent["meta"] or {}).get("job_id") == job["id"]:
                return latent["id"]  # applied before (e.g. the app stopped right after)
        res = job["result"]
        meta = {"round_id": rnd["id"], "round": rnd["number"], "job_id": job["id"], "best_epoch": res.get("best_epoch"),
                "best_val_loss": res.get("best_val_loss"), "loss": res.get("loss"), "device": res.get("device")}
        return self.store.latents.add(rnd["task_id"], res["z"], "tuned", parent_id=job["payload"]["latent_id"],
                                      meta=meta)["id"]

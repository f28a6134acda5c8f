"""Rounds of preference goal tuning, per task: collect -> label -> tune -> roll out -> evaluate -> review.

    collecting   a rollout job plays `round_size` episodes under the round's base latent
    labelling    people label pairs of them (the annotator view); the researcher starts tuning
    tuning       a tune job runs DPO on *all* the task's resolved preferences so far, from the base latent
    rolling_out  a rollout job plays `round_size` fresh episodes under the tuned (candidate)
                 latent: the next round's material if the candidate is promoted
    evaluating   an evaluate job plays z0, the base and the candidate on the same fixed seeds
    review       the researcher compares before/after videos and success rates, then
    promoted | rejected   (failed: a job failed for good; retry or reject it)

Why a state machine over jobs, advanced by `reconcile()`: a job's result is stored with the
job (the worker's `complete`) and applied to the round afterwards, idempotently. Whatever
dies in between -- the worker (the job is retried), the app (the result waits in the jobs
table) -- the next reconcile picks up exactly where things stopped, and nothing is applied
twice (trajectories are keyed by id, a tuned latent by the job that made it).

Latents: each task has its own library (z0 from the prompt clip, then tuned ones). The
*active* latent is what the next round starts from; promoting or rolling back only ever
touches the task it belongs to, so tuning task B never changes task A (continual learning).
A failed job changes nothing but the round's status: the active latent stays.
"""
from __future__ import annotations

import math
import threading
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from labeler.errors import Conflict, Invalid, NotFound, StoreError
from labeler.ingest import register_artifact
from labeler.quality import records, resolve_preferences
from labeler.quality_store import QualityStore
from labeler.round_store import RoundStore
from labeler.scheduling import build_label_pairs
from labeler.state import AppState
from pgt_core.evaluate import eval_seeds
from pgt_core.pairs import pairs_from_rewards
from pgt_core.seeds import ROUND_WORLD_BASE

STEP_JOBS = {"collecting": "rollout", "tuning": "tune", "rolling_out": "rollout", "evaluating": "evaluate"}
TERMINAL = ("promoted", "rejected", "failed")
STATUSES = ("collecting", "labelling", "tuning", "rolling_out", "evaluating", "review", *TERMINAL)
SEEDS_PER_ROUND = 10_000
PURPOSE = {"collecting": "collect", "rolling_out": "candidate", "evaluating": "review"}


@dataclass
class RoundConfig:
    """A round's size and hyperparameters (public PGT defaults for the tuning part)."""

    round_size: int = 300  # episodes rolled out per round
    pairs_per_traj: int = 4  # comparisons each episode appears in
    preferences: str = "labels"  # "labels": people's labels; "reward": pairs ordered by episode reward
    loss: str = "dpo"  # dpo | ipo | bc_positive
    beta: float = 0.1
    lr: float = 1e-2
    epochs: int = 50
    val_fraction: float = 0.2
    batch_pairs: int | None = None
    tune_seed: int = 0
    eval_episodes: int = 50  # fixed evaluation seeds
    review_videos: int = 4  # of them, replayed with video for before/after
    batch_size: int = 32  # environments stepped together
    sample_seed: int = 0
    max_attempts: int = 3

    LIMITS = {"round_size": (2, SEEDS_PER_ROUND), "pairs_per_traj": (1, 50), "epochs": (1, 10_000),
              "eval_episodes": (1, 10_000), "review_videos": (0, 32), "batch_size": (1, 4096),
              "max_attempts": (1, 20)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, base: "RoundConfig | None" = None) -> "RoundConfig":
        """Validated config: `data` over `base` (or the defaults); Invalid (422) says what is wrong."""
        known = {f.name: f for f in fields(cls)}
        out = asdict(base or cls())
        for key, value in (data or {}).items():
            if key not in known:
                raise Invalid(f"unknown round setting {key!r}; known: {', '.join(known)}")
            out[key] = value
        try:
            cfg = cls(**out)
            for name in ("round_size", "pairs_per_traj", "epochs", "tune_seed", "eval_episodes", "review_videos",
                         "batch_size", "sample_seed", "max_attempts"):
                setattr(cfg, name, int(getattr(cfg, name)))
            for name in ("beta", "lr", "val_fraction"):
                setattr(cfg, name, float(getattr(cfg, name)))
            cfg.batch_pairs = None if cfg.batch_pairs in (None, "", 0) else int(cfg.batch_pairs)
        except (TypeError, ValueError) as exc:
            raise Invalid(f"bad round settings: {exc}") from None
        for name, (lo, hi) in cls.LIMITS.items():
            if not lo <= getattr(cfg, name) <= hi:
                raise Invalid(f"{name} must be between {lo} and {hi}, got {getattr(cfg, name)}")
        if cfg.preferences not in ("labels", "reward"):
            raise Invalid("preferences must be 'labels' or 'reward'")
        if cfg.loss not in ("dpo", "ipo", "bc_positive"):
            raise Invalid("loss must be dpo, ipo or bc_positive")
        if not (math.isfinite(cfg.beta) and cfg.beta > 0 and math.isfinite(cfg.lr) and cfg.lr > 0):
            raise Invalid("beta and lr must be positive numbers")
        if not 0 <= cfg.val_fraction < 1:
            raise Invalid("val_fraction must be in [0, 1)")
        if cfg.review_videos > cfg.eval_episodes:
            raise Invalid("review_videos cannot exceed eval_episodes")
        return cfg

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def train_seeds(task_id: int, number: int, n: int) -> list[int]:
    """World seeds of a round's rollouts: the rounds' own range (pgt_core.seeds), per task and round."""
    start = ROUND_WORLD_BASE + int(task_id) * 1_000_000 + int(number) * SEEDS_PER_ROUND
    return list(range(start, start + n))


def job_summary(job: Mapping[str, Any]) -> dict[str, Any]:
    """A job without its payload (which can hold thousands of labels and three latents)."""
    payload = job.get("payload") or {}
    keep = ("id", "kind", "task_id", "status", "worker", "attempts", "max_attempts", "progress", "message", "error",
            "created_at", "claimed_at", "heartbeat_at", "finished_at")
    return {**{k: job.get(k) for k in keep}, "round_id": payload.get("round_id"), "step": payload.get("step")}


class Rounds:
    """The researcher's operations and the reconciler; one per app (holds a lock, not state)."""

    def __init__(self, state: AppState) -> None:
        self.st = state
        self.store = state.store
        self.db = RoundStore(state.store)
        self._lock = threading.RLock()
        self._foundation: Any = None

    # -- the policy (prompt encoding and the name jobs carry) ---------------------------------
    def policy_source(self) -> str:
        """What workers must load: the app's checkpoint path, or 'untrained' when there is none."""
        from pgt_core.policy.checkpoint import DEFAULT_CHECKPOINT

        path = Path(self.st.config.checkpoint or DEFAULT_CHECKPOINT)
        return str(path.resolve()) if path.is_file() else "untrained"

    def foundation(self) -> Any:
        if self._foundation is None:
            from pgt_core.policy.checkpoint import Foundation, load_foundation

            source = self.policy_source()
            self._foundation = Foundation.untrained() if source == "untrained" else load_foundation(source)
        return self._foundation

    def prompt_names(self) -> list[str]:
        return sorted(self.foundation().prompts)

    # -- tasks and the latent library ---------------------------------------------------------
    def _prompt_clip(self, prompt: Mapping[str, Any]) -> np.ndarray:
        kind = prompt.get("kind")
        if kind == "task":
            prompts = self.foundation().prompts
            if prompt.get("task") not in prompts:
                raise Invalid(f"no shipped prompt clip {prompt.get('task')!r}; available: {', '.join(sorted(prompts))}")
            return prompts[prompt["task"]]
        if kind == "trajectory":
            from labeler.ingest import load_trajectory

            traj = load_trajectory(self.store, self.st.artifacts, str(prompt.get("trajectory_id")))
            clip_len = self.foundation().policy.cfg.clip_len
            start = int(prompt.get("start", 0))
            if not 0 <= start < len(traj.frames) - 1:
                raise Invalid(f"start must be in [0, {len(traj.frames) - 2}] for trajectory {traj.seed}")
            return traj.frames[start:start + clip_len]
        raise Invalid("prompt must be {'kind': 'task', 'task': NAME} or "
                      "{'kind': 'trajectory', 'trajectory_id': ID, 'start': FRAME}")

    def create_task(self, name: str, achievement: str, max_steps: int, description: str = "",
                    prompt: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """A task and its z0 = goal encoder(prompt clip); the clip is a shipped prompt or part of an episode."""
        from pgt_core.envs.crafter_env import ACHIEVEMENTS

        if achievement not in ACHIEVEMENTS:
            raise Invalid(f"unknown achievement {achievement!r}; Crafter has: {', '.join(ACHIEVEMENTS)}")
        prompt = dict(prompt or {"kind": "task", "task": name})
        z0 = self.foundation().encode_clip(self._prompt_clip(prompt))
        with self._lock:
            task = self.store.create_task(name, achievement, max_steps, description)
            self.store.add_latent(task["id"], z0.numpy(), "prompt", meta={"prompt": prompt, "policy": self.policy_source()})
        return task

    def active_latent_id(self, task_id: int) -> int | None:
        """The top of the task's promotion stack (promote pushes, rollback pops), else its prompt latent."""
        stack = self._stack(task_id)
        if stack:
            return stack[-1]
        prompt = self._prompt_latent_id(task_id)
        return prompt

    def _stack(self, task_id: int) -> list[int]:
        stack: list[int] = []
        for p in self.db.promotions(task_id):
            if p["action"] == "promote":
                stack.append(p["latent_id"])
            elif stack:
                stack.pop()
        return stack

    def _prompt_latent_id(self, task_id: int) -> int | None:
        latents = self.store.list_latents(task_id)
        prompts = [l for l in latents if l["source"] == "prompt"]
        return (prompts or latents or [{"id": None}])[0]["id"]

    def promote_latent(self, latent_id: int, round_id: int | None = None) -> dict[str, Any]:
        latent = self.store.get_latent(latent_id)
        with self._lock:
            self.db.add_promotion(latent["task_id"], latent_id, "promote", round_id)
        return {"task_id": latent["task_id"], "active_latent_id": self.active_latent_id(latent["task_id"])}

    def rollback(self, task_id: int) -> dict[str, Any]:
        """Undo the task's last promotion (down to its prompt latent, never below)."""
        self.store.get_task(task_id)
        with self._lock:
            stack = self._stack(task_id)
            if not stack:
                raise Conflict("nothing to roll back: the task is on its prompt latent")
            self.db.add_promotion(task_id, stack[-1], "rollback")
        return {"task_id": task_id, "rolled_back": stack[-1], "active_latent_id": self.active_latent_id(task_id)}

    def vector(self, latent_id: int) -> list[float]:
        return [float(v) for v in self.store.get_latent(latent_id)["vector"]]

    # -- starting steps -----------------------------------------------------------------------
    def start_round(self, task_id: int, settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
        cfg = RoundConfig.from_dict(settings)
        with self._lock:
            task = self.store.get_task(task_id)
            rounds = self.db.rounds(task_id)
            if rounds and self.status_of(rounds[-1]) not in TERMINAL:
                raise Conflict(f"round {rounds[-1]['number']} of {task['name']} is {self.status_of(rounds[-1])}; "
                               "finish or reject it before starting another")
            base = self.active_latent_id(task_id)
            if base is None:
                raise Conflict(f"task {task['name']} has no latent; create it from a prompt clip")
            rnd = self.store.create_round(task_id, base)
            reuse = self._candidate_episodes(rounds[-1], base) if rounds else []
            if reuse:
                self._make_pairs(task, rnd, reuse, cfg)
                self.db.set_state(rnd["id"], status="labelling", config=cfg.to_dict())
            else:
                self.db.set_state(rnd["id"], status="collecting", config=cfg.to_dict())
                self._start_step(self.db.round(rnd["id"]), "collecting", cfg)
        return self.round_view(rnd["id"])

    def start_tuning(self, round_id: int, settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
        with self._lock:
            rnd = self.db.round(round_id)
            if self.status_of(rnd) != "labelling":
                raise Conflict(f"round {rnd['number']} is {self.status_of(rnd)}; tuning starts from labelling")
            cfg = RoundConfig.from_dict(settings, RoundConfig.from_dict(rnd["config"]))
            self._start_step(rnd, "tuning", cfg)
        return self.round_view(round_id)

    def retry(self, round_id: int, settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Run a failed round's failed step again (fresh job; settings may change, e.g. a smaller lr)."""
        with self._lock:
            rnd = self.db.round(round_id)
            if rnd["status"] != "failed":
                raise Conflict(f"round {rnd['number']} is {rnd['status']}; only failed rounds are retried")
            step = (rnd["result"] or {}).get("failed_step")
            if step not in STEP_JOBS:
                raise Conflict("this round cannot be retried; start a new one")
            cfg = RoundConfig.from_dict(settings, RoundConfig.from_dict(rnd["config"]))
            self._start_step(rnd, step, cfg)
        return self.round_view(round_id)

    def promote(self, round_id: int) -> dict[str, Any]:
        with self._lock:
            rnd = self.db.round(round_id)
            if rnd["status"] != "review":
                raise Conflict(f"round {rnd['number']} is {rnd['status']}; only a round in review can be promoted")
            self.db.add_promotion(rnd["task_id"], rnd["candidate_latent_id"], "promote", round_id)
            self.db.set_state(round_id, status="promoted")
        return self.round_view(round_id)

    def reject(self, round_id: int) -> dict[str, Any]:
        """Close a round without promoting its latent (the task keeps its active latent)."""
        with self._lock:
            rnd = self.db.round(round_id)
            if self.status_of(rnd) not in ("labelling", "review", "failed"):
                raise Conflict(f"round {rnd['number']} is {self.status_of(rnd)}; wait for its job to finish")
            self.db.set_state(round_id, status="rejected")
        return self.round_view(round_id)

    @staticmethod
    def status_of(rnd: Mapping[str, Any]) -> str:
        """Rounds made outside this module (the bootstrap's, status 'open') are labelling rounds."""
        return "labelling" if rnd["status"] == "open" else rnd["status"]

    def _base(self, rnd: Mapping[str, Any]) -> int:
        base = rnd["latent_id"] or self.active_latent_id(rnd["task_id"])
        if base is None:
            raise Conflict("the task has no latent to start from")
        return base

    def _start_step(self, rnd: Mapping[str, Any], step: str, cfg: RoundConfig) -> dict[str, Any]:
        task = self.store.get_task(rnd["task_id"])
        payload = {"round_id": rnd["id"], "step": step, "policy": self.policy_source(),
                   "task": {k: task[k] for k in ("id", "name", "achievement", "max_steps", "description")},
                   **getattr(self, f"_payload_{step}")(task, rnd, cfg)}
        job = self.store.enqueue_job(STEP_JOBS[step], task["id"], payload, max_attempts=cfg.max_attempts)
        self.db.set_state(rnd["id"], status=step, config=cfg.to_dict(), job_id=job["id"], error=None)
        return job

    def _video(self) -> dict[str, int]:
        return {"scale": self.st.config.video_scale, "fps": self.st.config.video_fps}

    def _payload_collecting(self, task: dict, rnd: Mapping[str, Any], cfg: RoundConfig) -> dict[str, Any]:
        base = self._base(rnd)
        return {"purpose": "collect", "latent_id": base, "z": self.vector(base),
                "seeds": train_seeds(task["id"], rnd["number"], cfg.round_size), "sample_seed": cfg.sample_seed,
                "batch_size": cfg.batch_size, "id_prefix": f"t{task['id']}-r{rnd['number']}-L{base}",
                "video": self._video()}

    def _payload_rolling_out(self, task: dict, rnd: Mapping[str, Any], cfg: RoundConfig) -> dict[str, Any]:
        cand = rnd["candidate_latent_id"]
        return {"purpose": "candidate", "latent_id": cand, "z": self.vector(cand),
                "seeds": train_seeds(task["id"], rnd["number"] + 1, cfg.round_size), "sample_seed": cfg.sample_seed,
                "batch_size": cfg.batch_size, "id_prefix": f"t{task['id']}-r{rnd['number']}-L{cand}",
                "video": self._video()}

    def _payload_evaluating(self, task: dict, rnd: Mapping[str, Any], cfg: RoundConfig) -> dict[str, Any]:
        prompt, base, cand = self._prompt_latent_id(task["id"]), self._base(rnd), rnd["candidate_latent_id"]
        roles = [("prompt", prompt)] + ([("base", base)] if base != prompt else []) + [("candidate", cand)]
        return {"latents": [{"id": lid, "role": role, "z": self.vector(lid)} for role, lid in roles],
                "seeds": eval_seeds(cfg.eval_episodes), "sample_seed": cfg.sample_seed, "batch_size": cfg.batch_size,
                "review": {"episodes": cfg.review_videos, "roles": ["prompt", "candidate"],
                           "id_prefix": f"t{task['id']}-r{rnd['number']}-e", "video": self._video()}}

    def _payload_tuning(self, task: dict, rnd: Mapping[str, Any], cfg: RoundConfig) -> dict[str, Any]:
        base = self._base(rnd)
        labels = self._preferences(task, rnd, cfg)
        if not any(choice in ("left", "right") for _, _, choice in labels):
            raise Conflict("no decisive resolved preferences yet; label or adjudicate some pairs first")
        ids = sorted({x for a, b, _ in labels for x in (a, b)})
        return {"latent_id": base, "z0": self.vector(base), "labels": labels,
                "trajectories": {t: self.store.get_trajectory(t)["artifact"] for t in ids},
                "hyper": {"loss": cfg.loss, "beta": cfg.beta, "lr": cfg.lr, "epochs": cfg.epochs,
                          "val_fraction": cfg.val_fraction, "batch_pairs": cfg.batch_pairs, "seed": cfg.tune_seed}}

    def _preferences(self, task: dict, rnd: Mapping[str, Any], cfg: RoundConfig) -> list[list[str]]:
        """[left, right, choice] per pair: the task's resolved labels so far, or reward order over this round."""
        if cfg.preferences == "reward":
            ids = sorted({t for p in self.store.list_pairs(task["id"]) if p["round_id"] == rnd["id"]
                          for t in (p["traj_a"], p["traj_b"])})
            rewards = [self.store.get_trajectory(t)["reward"] for t in ids]
            pairs = pairs_from_rewards(rewards, max_pairs=cfg.round_size * cfg.pairs_per_traj, rng=cfg.tune_seed)
            return [[ids[p.i], ids[p.j], "left"] for p in pairs]
        return self._resolved_labels(task["id"])

    def _resolved_labels(self, task_id: int) -> list[list[str]]:
        """One preference per pair, as `labeler.quality.resolve_preferences` (and /api/quality/resolved) gives it.

        A researcher's adjudication wins, else a unanimous or strict-majority vote; split pairs wait
        for adjudication and discarded ones are dropped. Repeat checks (pairs over alias trajectories)
        are a second opinion of the same person on a pair already counted, so they never add a pair;
        a pair of rollouts reached twice under different pair ids counts once. Ties and both-bad
        stay in (pgt_core gives them no DPO gradient). Decisive ones are [preferred, rejected, "left"].
        """
        qs = QualityStore(self.store)
        qs.ensure_schema()
        aliases = qs.aliases()
        repeats = {int(c["pair_id"]) for c in qs.checks(task_id, "repeat")}
        recs = [r for r in records(self._labels(task_id))
                if r.traj_a not in aliases and r.traj_b not in aliases]
        decisions = {int(r["pair_id"]): r["decision"] for r in qs.adjudications(task_id)}
        out, seen = [], set()
        for r in resolve_preferences(recs, decisions, exclude_pairs=repeats):
            key = frozenset((r["traj_a"], r["traj_b"]))
            if key in seen:
                continue
            seen.add(key)
            if r["preferred"] is not None:
                out.append([r["preferred"], r["rejected"], "left"])
            else:
                out.append([r["traj_a"], r["traj_b"], r["outcome"]])
        return out

    def _labels(self, task_id: int) -> list[dict[str, Any]]:
        out, after = [], 0
        while True:
            page = self.store.list_labels(task_id=task_id, after_id=after, limit=10_000)
            out += page
            if len(page) < 10_000:
                return out
            after = page[-1]["id"]

    def _candidate_episodes(self, prev: Mapping[str, Any], base: int) -> list[str]:
        """The previous round's candidate rollouts, when that candidate was promoted and is the base now."""
        if prev["status"] != "promoted" or prev["candidate_latent_id"] != base:
            return []
        return [t["id"] for t in self.store.list_trajectories(prev["task_id"], prev["id"])
                if t["latent_id"] == base and (t["meta"] or {}).get("purpose") == "candidate"]

    def _make_pairs(self, task: dict, rnd: Mapping[str, Any], traj_ids: list[str], cfg: RoundConfig) -> int:
        pairs = build_label_pairs(traj_ids, cfg.pairs_per_traj, seed=rnd["id"])
        return len(self.store.add_pairs(task["id"], pairs, rnd["id"], source="round"))

    # -- applying job results -----------------------------------------------------------------
    def reconcile(self) -> int:
        """Advance every round whose job finished (or fail it); idempotent, safe to call any time."""
        moved = 0
        with self._lock:
            for rnd in self.db.rounds(statuses=STEP_JOBS):
                try:
                    job = self.store.get_job(rnd["job_id"]) if rnd["job_id"] else None
                except NotFound:
                    job = None
                if job is None:
                    self._fail(rnd, "its job is missing")
                elif job["status"] == "done":
                    try:
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
        self.db.set_state(rnd["id"], status="failed", error=error, result=result)

    def _apply(self, rnd: Mapping[str, Any], job: Mapping[str, Any]) -> None:
        step, res, payload = rnd["status"], job["result"] or {}, job["payload"]
        task = self.store.get_task(rnd["task_id"])
        cfg = RoundConfig.from_dict(rnd["config"])
        result = dict(rnd["result"] or {})
        if step == "collecting":
            ids = self._register(task, rnd, res["trajectories"], payload["latent_id"], job, step)
            self._make_pairs(task, rnd, ids, cfg)
            result["collect"] = {"episodes": len(ids), "success_rate": res.get("success_rate")}
            self.db.set_state(rnd["id"], status="labelling", result=result)
        elif step == "tuning":
            cand = self._tuned_latent(task, rnd, job)
            result["tune"] = {k: v for k, v in res.items() if k != "z"}
            self.db.set_state(rnd["id"], candidate_latent_id=cand, result=result)
            self._start_step(self.db.round(rnd["id"]), "rolling_out", cfg)
        elif step == "rolling_out":
            ids = self._register(task, rnd, res["trajectories"], payload["latent_id"], job, step)
            result["rollout"] = {"episodes": len(ids), "success_rate": res.get("success_rate")}
            self.db.set_state(rnd["id"], result=result)
            self._start_step(self.db.round(rnd["id"]), "evaluating", cfg)
        elif step == "evaluating":
            for video in res.get("review", []):
                self._register(task, rnd, [video], video["latent_id"], job, step)
            result["eval"] = res
            self.db.set_state(rnd["id"], status="review", result=result)

    def _register(self, task: dict, rnd: Mapping[str, Any], episodes: list[dict[str, Any]], latent_id: int,
                  job: Mapping[str, Any], step: str) -> list[str]:
        ids = []
        for ep in episodes:
            try:
                self.store.get_trajectory(ep["id"])
            except NotFound:
                register_artifact(self.store, self.st.artifacts, ep["id"], task, rnd["id"], latent_id,
                                  meta={"purpose": PURPOSE[step], "job_id": job["id"]})
            ids.append(ep["id"])
        return ids

    def _tuned_latent(self, task: dict, rnd: Mapping[str, Any], job: Mapping[str, Any]) -> int:
        for latent in self.store.list_latents(task["id"]):
            if (latent["meta"] or {}).get("job_id") == job["id"]:
                return latent["id"]  # applied before (e.g. the app stopped right after)
        res = job["result"]
        meta = {"round_id": rnd["id"], "round": rnd["number"], "job_id": job["id"], "best_epoch": res.get("best_epoch"),
                "best_val_loss": res.get("best_val_loss"), "loss": res.get("loss"), "device": res.get("device")}
        return self.store.add_latent(task["id"], res["z"], "tuned", parent_id=job["payload"]["latent_id"],
                                     meta=meta)["id"]

    # -- views --------------------------------------------------------------------------------
    def round_view(self, round_id: int) -> dict[str, Any]:
        rnd = self.db.round(round_id)
        return self._round_view(rnd, self._label_counts(rnd["task_id"]))

    def _label_counts(self, task_id: int) -> dict[int | None, dict[str, int]]:
        counts: dict[int | None, dict[str, int]] = {}
        for p in self.store.list_pairs(task_id):
            counts.setdefault(p["round_id"], {"pairs": 0, "labels": 0, "decisive": 0})["pairs"] += 1
        for label in self._labels(task_id):
            if label["choice"] == "skip":
                continue
            c = counts.setdefault(label["round_id"], {"pairs": 0, "labels": 0, "decisive": 0})
            c["labels"] += 1
            c["decisive"] += label["choice"] in ("left", "right")
        return counts

    def _round_view(self, rnd: Mapping[str, Any], counts: Mapping[int | None, Mapping[str, int]]) -> dict[str, Any]:
        job = None
        if rnd["job_id"]:
            try:
                job = job_summary(self.store.get_job(rnd["job_id"]))
            except NotFound:
                job = None
        return {"id": rnd["id"], "task_id": rnd["task_id"], "number": rnd["number"], "status": self.status_of(rnd),
                "config": rnd["config"] or RoundConfig().to_dict(), "base_latent_id": rnd["latent_id"],
                "candidate_latent_id": rnd["candidate_latent_id"], "error": rnd["error"], "job": job,
                "result": rnd["result"] or {}, "created_at": rnd["created_at"], "updated_at": rnd["updated_at"],
                **dict(counts.get(rnd["id"], {"pairs": 0, "labels": 0, "decisive": 0}))}

    def round_views(self, task_id: int) -> list[dict[str, Any]]:
        counts = self._label_counts(task_id)
        return [self._round_view(r, counts) for r in self.db.rounds(task_id)]

    def task_view(self, task_id: int) -> dict[str, Any]:
        self.reconcile()
        task = self.store.get_task(task_id)
        jobs = [job_summary(j) for j in self.store.list_jobs(task_id=task_id, limit=30)]
        for j in jobs:
            j["log_tail"] = [l["message"] for l in self.db.job_logs(j["id"])[-6:]]
        return {"task": task, "active_latent_id": self.active_latent_id(task_id),
                "rounds": self.round_views(task_id),
                "jobs": jobs, "latents": self.library(task_id), "promotions": self.db.promotions(task_id)}

    def library(self, task_id: int) -> list[dict[str, Any]]:
        """The task's latents with norm, origin, last measured success rate and which is active."""
        active = self.active_latent_id(task_id)
        success: dict[int, float] = {}
        for rnd in self.db.rounds(task_id):
            for rate in ((rnd["result"] or {}).get("eval") or {}).get("rates", []):
                success[rate["latent_id"]] = rate["success_rate"]
        out = []
        for latent in self.store.list_latents(task_id):
            vec = np.asarray(self.store.get_latent(latent["id"])["vector"], dtype=np.float64)
            out.append({**latent, "norm": float(np.linalg.norm(vec)), "active": latent["id"] == active,
                        "success_rate": success.get(latent["id"]), "round": (latent["meta"] or {}).get("round")})
        return out

    def compare(self, latent_ids: list[int]) -> dict[str, Any]:
        """Cosine similarity and L2 distance between latents (any tasks)."""
        if not 1 <= len(latent_ids) <= 32:
            raise Invalid("compare 1 to 32 latents")
        rows = [self.store.get_latent(i) for i in latent_ids]
        vecs = np.asarray([r["vector"] for r in rows], dtype=np.float64)
        norms = np.linalg.norm(vecs, axis=1)
        cos = vecs @ vecs.T / np.maximum(np.outer(norms, norms), 1e-12)
        l2 = np.linalg.norm(vecs[:, None, :] - vecs[None, :, :], axis=-1)
        return {"latents": [{k: r[k] for k in ("id", "task_id", "source", "parent_id")} for r in rows],
                "norm": norms.tolist(), "cosine": cos.round(6).tolist(), "l2": l2.round(6).tolist()}

    def review(self, round_id: int) -> dict[str, Any]:
        """Before (z0) and after (the round's latent) on the same seeds, for side-by-side videos."""
        rnd = self.db.round(round_id)
        ev = (rnd["result"] or {}).get("eval")
        if not ev:
            raise Conflict(f"round {rnd['number']} has no evaluation yet ({self.status_of(rnd)})")
        by = {(v["role"], v["seed"]): v["id"] for v in ev.get("review", [])}
        rows = []
        for seed in sorted({v["seed"] for v in ev.get("review", [])}):
            sides = {}
            for side, role in (("before", "prompt"), ("after", "candidate")):
                tid = by.get((role, seed))
                sides[side] = self._traj_view(tid) if tid else None
            rows.append({"seed": seed, **sides})
        return {"round": self._round_view(rnd, self._label_counts(rnd["task_id"])), "seeds": ev["seeds"],
                "rates": [{k: r[k] for k in ("latent_id", "role", "success_rate", "mean_reward")} for r in ev["rates"]],
                "rows": rows}

    def _traj_view(self, traj_id: str) -> dict[str, Any]:
        t = self.store.get_trajectory(traj_id)
        return {"id": t["id"], "video_url": f"/api/videos/{t['id']}.mp4", "length": t["length"],
                "reward": t["reward"], "success": t["success"], "events": t["events"], "latent_id": t["latent_id"]}

"""A latent's evaluation, played once and reused: its outcome per seed and its review episodes.

An episode is a pure function of (policy, world seed, sample seed, latent, time limit): the rollout draws
each episode's actions from a generator of its own seed, whatever else is played beside it
(`pgt_core.rollout`). So a latent already evaluated on a round's seeds needs no replay: round 1's start
latent (z0) is played while people label, queued behind everything else (`jobs.BACKGROUND`), and at Tune
only the candidate is played; from round 2 on, z0 and the start latent (the previous round's candidate)
are both known. What a reused evaluation gives is exactly what a replay would (the same outcomes, the same
review episodes: tests/labeler/domain/test_evaluations.py).

Kept in the `evaluations` table under a fingerprint of everything the episodes depend on (the policy's
weights, the latent's float32 bytes, the task and its time limit and achievement, the seeds, the sample
seed and how many of the first seeds are kept whole for the review); the review episodes are ordinary
trajectories of the task, registered once.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Mapping, Sequence

import numpy as np

from labeler.db.store import Store
from labeler.domain.ingest import register_episodes
from labeler.files.artifacts import Artifacts

ROLES = ("prompt", "base", "candidate")  # z0, the round's start latent (when it is not z0), the candidate
OUTCOME_FIELDS = ("success_rate", "mean_reward", "success")  # what a latent's evaluation says of it


def latent_sha256(z: Sequence[float]) -> str:
    return hashlib.sha256(np.asarray(z, dtype=np.float32).tobytes()).hexdigest()


def evaluation_inputs(policy: str, task: Mapping[str, Any], seeds: Sequence[int], sample_seed: int,
                      review_episodes: int) -> dict[str, Any]:
    """What, besides the latent, fixes an evaluation's episodes (`policy`: `foundation.policy_fingerprint`)."""
    return {"policy": policy, "task_id": int(task["id"]), "env": task.get("env", "crafter"),
            "achievement": task["achievement"], "max_steps": int(task["max_steps"]), "seeds": [int(s) for s in seeds],
            "sample_seed": int(sample_seed), "review_episodes": int(review_episodes)}


def fingerprint(inputs: Mapping[str, Any], latent: str) -> str:
    """The evaluation's key: sha256 over its inputs and the latent's hash (`latent_sha256`)."""
    return hashlib.sha256(json.dumps({**inputs, "latent": latent}, sort_keys=True).encode()).hexdigest()


def _played(res: Mapping[str, Any], role: str) -> tuple[dict[str, Any], list[Mapping[str, Any]]]:
    """What an evaluate job's result says of one role's latent: its outcomes and its review episodes."""
    rate = next(r for r in res["rates"] if r["role"] == role)
    return {k: rate[k] for k in OUTCOME_FIELDS}, [v for v in res.get("review", []) if v["role"] == role]


def keep_played(store: Store, artifacts: Artifacts, round_id: int, job: Mapping[str, Any]) -> list[str]:
    """Store what an evaluate job played: each latent's outcomes under its fingerprint, its review episodes as
    the task's trajectories. Idempotent. The roles kept."""
    payload, res = job["payload"], job["result"] or {}
    task = store.tasks.get(int(job["task_id"]))
    kept = []
    for item in payload.get("latents", []):
        if "fingerprint" not in item:
            continue  # a job queued before evaluations were kept: nothing to key it by
        outcome, played = _played(res, item["role"])
        review = [{"id": v["id"], "seed": v["seed"]} for v in played]
        register_episodes(store, artifacts, task, review, round_id, item["id"],
                          {"purpose": "review", "job_id": job["id"]})
        outcome["review"] = review
        store.evaluations.add(item["fingerprint"], task["id"], item["id"],
                              {**payload["inputs"], "latent": item["latent_sha256"]}, outcome, job["id"])
        kept.append(item["role"])
    return kept


def assemble(store: Store, payload: Mapping[str, Any], res: Mapping[str, Any]) -> dict[str, Any]:
    """The round's evaluation, as one job playing every latent would have reported it: the latents the job
    played from its result, the others from the evaluations kept (`reused` names their roles)."""
    by_role: dict[str, tuple[int, Mapping[str, Any], list[Mapping[str, Any]]]] = {}
    for item in payload.get("latents", []):
        by_role[item["role"]] = (item["id"], *_played(res, item["role"]))
    for item in payload.get("cached", []):
        row = store.evaluations.get(item["fingerprint"])
        if row is None:
            raise KeyError(f"the evaluation of the {item['role']} latent kept under {item['fingerprint'][:12]} is gone")
        by_role[item["role"]] = (item["id"], row["result"], row["result"]["review"])
    rates, review = [], []
    for role in (r for r in ROLES if r in by_role):
        latent_id, rate, kept = by_role[role]
        rates.append({"latent_id": latent_id, "role": role, **{k: rate[k] for k in OUTCOME_FIELDS}})
        review += [{"id": v["id"], "seed": v["seed"], "role": role, "latent_id": latent_id} for v in kept]
    return {"seeds": payload["seeds"], "rates": rates, "review": review, "device": res.get("device"),
            "reused": [item["role"] for item in payload.get("cached", [])]}

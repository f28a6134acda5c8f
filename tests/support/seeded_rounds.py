"""A task whose rounds are already in given states, written straight into the store (no policy, no worker).

Why: the researcher view's table, review and rollback are about what the page does with rounds in
each state; getting there through real rollouts and tuning takes minutes of CPU per state. The
episodes are synthetic (tests/support/synthetic.py) and the evaluation results have the shape the
evaluation job writes (labeler/worker/runners.py), so the app serves them as it would real ones.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from labeler.config import AppConfig
from labeler.db.store import Store
from labeler.domain.ingest import ingest_trajectory
from labeler.domain.preferences import AB_EVAL
from labeler.domain.scheduling import build_label_pairs
from labeler.files.artifacts import Artifacts
from pgt_core import LATENT_DIM
from tests.support.synthetic import synthetic_trajectory

Outcome = tuple[bool, bool]  # (start succeeded, candidate succeeded) on one evaluation seed


def _latent(store: Store, task_id: int, source: str, seed: int, parent: int | None = None,
            rnd: int | None = None) -> int:
    vec = np.random.default_rng(seed).normal(size=LATENT_DIM).astype(np.float32)
    return store.latents.add(task_id, vec, source, parent, {"round": rnd} if rnd else {})["id"]


def _evaluation(store: Store, artifacts: Artifacts, task: dict[str, Any], rnd: dict[str, Any], roles: dict[str, int],
                outcomes: Sequence[Outcome], z0_success: Sequence[bool]) -> dict[str, Any]:
    """An evaluation on len(outcomes) seeds, every seed kept with its episodes for the review."""
    seeds = [1_000_000 + i for i in range(len(outcomes))]
    success = {"candidate": [o[1] for o in outcomes], "prompt": list(z0_success)}
    if "base" in roles:
        success["base"] = [o[0] for o in outcomes]
    else:  # round 1 starts from z0
        success["prompt"] = [o[0] for o in outcomes]
    kept = []
    for role, latent_id in roles.items():
        for i, seed in enumerate(seeds):
            tid = f"t{task['id']}-r{rnd['number']}-e{role[0]}{latent_id}-s{seed}"
            traj = synthetic_trajectory(seed * 7 + latent_id, 12, task["achievement"])
            traj.events = [(3, task["achievement"])] if success[role][i] else []
            ingest_trajectory(store, artifacts, traj, tid, task, rnd["id"], latent_id)
            kept.append({"id": tid, "seed": seed, "role": role, "latent_id": latent_id})
    rates = [{"latent_id": lid, "role": role, "success_rate": float(np.mean(success[role])),
              "mean_reward": float(np.mean(success[role])), "success": success[role]} for role, lid in roles.items()]
    return {"seeds": seeds, "rates": rates, "review": kept, "device": "cpu"}


def seed_rounds(data_dir: str | Path, name: str, rounds: Sequence[dict[str, Any]], labelling_pairs: int = 0,
                task_kwargs: dict[str, Any] | None = None, achievement: str = "collect_wood") -> dict[str, Any]:
    """A task `name` (`achievement`, 12 steps; "" for one without a reward) with z0 and one round per entry of
    `rounds`, in order:

    {"status": "promoted" | "review" | "rejected" | "promoting", "outcomes": [(start ok, candidate ok), ...],
     "z0": [z0 ok, ...] (rounds after the first), "ab": [True, False, ...] (a blind A/B on the first seeds:
     whether "ann" preferred the candidate), "config": {...} (round settings), "tune": {...} (the tune job's
     result), "rollout_progress": 0.4 (promoting: the candidate's rollout job, running at that fraction)};
    a promoted round's candidate is promoted, so the next round starts from it. {"status": "labelling",
    "tune": {...}} (last) is a round whose tune changed nothing, back in labelling without a candidate.
    With `labelling_pairs`, a last round in labelling with that many pairs.
    Call before the app starts on `data_dir` (the app owns the database while it runs).
    """
    cfg = AppConfig(data_dir=Path(data_dir))
    with Store(cfg.db_path) as store:
        artifacts = Artifacts(cfg.artifact_dir)
        task = store.tasks.create(name, achievement, 12, "", **(task_kwargs or {}))
        z0 = _latent(store, task["id"], "prompt", 0)
        active = z0
        out: dict[str, Any] = {"task_id": task["id"], "z0": z0, "rounds": [], "latents": [z0]}
        for spec in rounds:
            rnd = store.rounds.create(task["id"], active, "labelling", {"round_size": 6, **spec.get("config", {})})
            tune = {"tune": spec["tune"]} if "tune" in spec else {}
            if spec["status"] == "labelling":
                store.rounds.update(rnd["id"], result=tune)
                out["rounds"].append(rnd["id"])
                continue
            cand = _latent(store, task["id"], "tuned", rnd["number"], active, rnd["number"])
            roles = {"prompt": z0, **({"base": active} if active != z0 else {}), "candidate": cand}
            ev = _evaluation(store, artifacts, task, rnd, roles, spec["outcomes"],
                             spec.get("z0", [False] * len(spec["outcomes"])))
            store.rounds.update(rnd["id"], status=spec["status"], candidate_latent_id=cand,
                                result={"eval": ev, **tune})
            if "rollout_progress" in spec:  # the candidate's episodes for the next round, still rolling out
                job = store.jobs.enqueue("rollout", task["id"], {"round_id": rnd["id"], "step": "rolling_out"},
                                         worker="seeded-worker")
                store.jobs.heartbeat(job["id"], job["lease"], spec["rollout_progress"], "episode 40/100")
                store.rounds.update(rnd["id"], rollout_job_id=job["id"])
            start = "base" if "base" in roles else "prompt"
            by = {(v["role"], v["seed"]): v["id"] for v in ev["review"]}
            for i, won in enumerate(spec.get("ab", [])):
                old, new = by[(start, ev["seeds"][i])], by[("candidate", ev["seeds"][i])]
                pair = store.pairs.add(task["id"], [(old, new)], rnd["id"], source=AB_EVAL)[0]
                store.labels.add(submission_id=f"ab-{pair['id']}-ann", pair_id=pair["id"], annotator="ann",
                                 choice="right" if won else "left", left_traj=old, right_traj=new, time_spent_ms=900)
            if spec["status"] == "promoted":
                store.latents.add_promotion(task["id"], cand, "promote", rnd["id"])
                active = cand
            out["rounds"].append(rnd["id"])
            out["latents"].append(cand)
        if labelling_pairs:
            rnd = store.rounds.create(task["id"], active, "labelling", {"round_size": 6})
            ids = []
            for i in range(max(2, labelling_pairs)):
                tid = f"t{task['id']}-r{rnd['number']}-L{active}-s{i}"
                ingest_trajectory(store, artifacts, synthetic_trajectory(500 + i, 12, "collect_wood"), tid, task,
                                  rnd["id"], active)
                ids.append(tid)
            store.pairs.add(task["id"], build_label_pairs(ids, 2, 0)[:labelling_pairs], rnd["id"], source="round")
            out["rounds"].append(rnd["id"])
        return out

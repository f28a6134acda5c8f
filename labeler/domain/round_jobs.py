"""What each round step asks a worker to do: the job payloads (specs) of collect, tune, evaluate, and the
candidate's rollout that runs in the background while the researcher reviews.

A payload carries everything the worker needs (the policy source, the task, latents as vectors,
seeds, trajectory artifact names), so a worker on another machine never reads the database.
Workers hand back trajectories only: the app makes each video when someone first asks for it.
"""
from __future__ import annotations

import secrets
from typing import Any, Mapping

from labeler.db.store import Store
from labeler.domain.evaluations import evaluation_inputs, fingerprint, latent_sha256
from labeler.domain.foundation import policy_fingerprint
from labeler.domain.latents import LatentLibrary
from labeler.domain.preferences import tuning_pairs, tuning_split
from labeler.domain.round_config import RoundConfig, train_seeds
from labeler.domain.tasks import task_spec
from labeler.errors import Conflict
from pgt_core.evaluate import eval_seeds
from pgt_core.pairs import pairs_from_rewards

STEP_JOBS = {"collecting": "rollout", "tuning": "tune", "rolling_out": "rollout", "evaluating": "evaluate"}


class RoundJobs:
    def __init__(self, store: Store, library: LatentLibrary, policy_source: str) -> None:
        self.store, self.library, self.policy_source = store, library, policy_source

    def base_latent(self, rnd: Mapping[str, Any]) -> int:
        """The latent the round started from (its own, else the task's active one)."""
        base = rnd["latent_id"] or self.library.active_id(rnd["task_id"])
        if base is None:
            raise Conflict("the task has no latent to start from")
        return base

    def payload(self, rnd: Mapping[str, Any], step: str, cfg: RoundConfig) -> tuple[str, dict[str, Any]]:
        """(job kind, payload) for running `step` of the round."""
        task = self.store.tasks.get(rnd["task_id"])
        build = {"collecting": self._collecting, "tuning": self._tuning, "rolling_out": self._rolling_out,
                 "evaluating": self._evaluating}[step]
        return STEP_JOBS[step], {"round_id": rnd["id"], "step": step, "policy": self.policy_source,
                                 "task": task_spec(task), **build(task, rnd, cfg)}

    def _rollout(self, task: Mapping[str, Any], rnd: Mapping[str, Any], cfg: RoundConfig, purpose: str,
                 latent_id: int, round_number: int) -> dict[str, Any]:
        spec = {"purpose": purpose, "latent_id": latent_id, "z": self.library.vector(latent_id),
                "seeds": train_seeds(task["id"], round_number, cfg.round_size), "sample_seed": cfg.sample_seed,
                "batch_size": cfg.batch_size, "id_prefix": f"t{task['id']}-r{rnd['number']}-L{latent_id}"}
        if cfg.pair_selection == "active" or purpose == "candidate":
            # The worker scores each episode, beta * log-ratio against z0: active rounds order their comparisons by
            # it, and a candidate's episodes are the next round's, whatever that round's selection will be.
            spec.update(z0=self.library.vector(self.library.prompt_latent_id(task["id"])), beta=cfg.beta)
        return spec

    def _collecting(self, task: Mapping[str, Any], rnd: Mapping[str, Any], cfg: RoundConfig) -> dict[str, Any]:
        spec = self._rollout(task, rnd, cfg, "collect", self.base_latent(rnd), rnd["number"])
        have = set((rnd["result"] or {}).get("reused", {}).get("seeds", []))  # the previous candidate's, reused
        spec["seeds"] = [s for s in spec["seeds"] if s not in have]
        return spec

    def _rolling_out(self, task: Mapping[str, Any], rnd: Mapping[str, Any], cfg: RoundConfig) -> dict[str, Any]:
        # The candidate's episodes are the next round's material, on the next round's worlds.
        return self._rollout(task, rnd, cfg, "candidate", rnd["candidate_latent_id"], rnd["number"] + 1)

    def roles(self, rnd: Mapping[str, Any]) -> dict[str, int]:
        """The latents a round's evaluation compares, by role: z0, its start latent (when not z0), its candidate."""
        prompt, base = self.library.prompt_latent_id(rnd["task_id"]), self.base_latent(rnd)
        return {"prompt": prompt, **({"base": base} if base != prompt else {}),
                **({"candidate": rnd["candidate_latent_id"]} if rnd["candidate_latent_id"] else {})}

    def evaluate_ahead(self, rnd: Mapping[str, Any], cfg: RoundConfig) -> dict[str, Any] | None:
        """The payload of an evaluate job for the round's start latents that were never evaluated on its seeds
        (played while people label, so that Tune waits for the candidate alone); None when all were."""
        task = self.store.tasks.get(rnd["task_id"])
        spec = self._evaluation(task, cfg, {r: lid for r, lid in self.roles(rnd).items() if r != "candidate"})
        if not spec["latents"]:
            return None
        return {"round_id": rnd["id"], "step": "evaluating_ahead", "policy": self.policy_source,
                "task": task_spec(task), **spec}

    def _evaluating(self, task: Mapping[str, Any], rnd: Mapping[str, Any], cfg: RoundConfig) -> dict[str, Any]:
        return self._evaluation(task, cfg, self.roles(rnd))

    def _evaluation(self, task: Mapping[str, Any], cfg: RoundConfig, roles: Mapping[str, int]) -> dict[str, Any]:
        """Play the latents ({role: latent id}) whose evaluation on these seeds is not kept yet (`evaluations`);
        name the others, whose kept evaluation the round takes instead."""
        review = min(cfg.review_videos, cfg.eval_episodes)
        inputs = evaluation_inputs(policy_fingerprint(self.policy_source), task, eval_seeds(cfg.eval_episodes),
                                   cfg.sample_seed, review)
        play, cached = [], []
        for role, latent_id in roles.items():
            z = self.library.vector(latent_id)
            digest = latent_sha256(z)
            key = fingerprint(inputs, digest)
            if self.store.evaluations.get(key) is not None:
                cached.append({"id": latent_id, "role": role, "fingerprint": key})
            else:
                # Each latent's episodes carry a random tag, not its role or round: the ids of a blind A/B's
                # episodes reach the annotators' pages, and "...-ec12-..." or "r1" would say which is which.
                play.append({"id": latent_id, "role": role, "z": z, "tag": secrets.token_hex(6),
                             "fingerprint": key, "latent_sha256": digest})
        return {"latents": play, "cached": cached, "inputs": inputs, "seeds": inputs["seeds"],
                "sample_seed": cfg.sample_seed, "batch_size": cfg.batch_size,
                "review": {"episodes": review, "roles": [p["role"] for p in play], "id_prefix": f"t{task['id']}-e"}}

    def _tuning(self, task: Mapping[str, Any], rnd: Mapping[str, Any], cfg: RoundConfig) -> dict[str, Any]:
        base = self.base_latent(rnd)
        labels = self._preferences(task, rnd, cfg)
        if not any(entry[2] in ("left", "right") for entry in labels):
            raise Conflict("no decisive resolved preferences yet; label or adjudicate some pairs first")
        ids = sorted({x for entry in labels for x in entry[:2]})
        return {"latent_id": base, "z0": self.library.vector(base), "labels": labels,
                "trajectories": {t: self.store.trajectories.get(t)["artifact"] for t in ids},
                "hyper": {"loss": cfg.loss, "beta": cfg.beta, "lr": cfg.lr, "epochs": cfg.epochs,
                          "val_fraction": cfg.val_fraction, "batch_pairs": cfg.batch_pairs, "seed": cfg.tune_seed,
                          "split_by": tuning_split(self.store, task["id"]) if cfg.preferences == "labels" else "group"}}

    def _preferences(self, task: Mapping[str, Any], rnd: Mapping[str, Any], cfg: RoundConfig) -> list[list[Any]]:
        """[left, right, choice(, group, weight)] per pair: everything people said about the task so far
        (labeler.domain.preferences), or reward order over this round."""
        if cfg.preferences == "reward":
            ids = sorted({t for p in self.store.pairs.list(task["id"]) if p["round_id"] == rnd["id"]
                          for t in (p["traj_a"], p["traj_b"])})
            rewards = [self.store.trajectories.get(t)["reward"] for t in ids]
            pairs = pairs_from_rewards(rewards, max_pairs=cfg.round_size * cfg.pairs_per_traj, rng=cfg.tune_seed)
            return [[ids[p.i], ids[p.j], "left"] for p in pairs]
        return tuning_pairs(self.store, task["id"])

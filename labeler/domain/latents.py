"""Each task's latent library: z0 from its prompt clip, tuned latents, and which one is active.

The *active* latent is what the next round starts from: the top of the task's promotion stack
(promote pushes, rollback pops), else the prompt latent. Promoting or rolling back only ever
touches the task it belongs to, so tuning task B never changes task A (continual learning).
"""
from __future__ import annotations

import threading
from typing import Any, Iterable, Mapping

import numpy as np

from labeler.db.store import Store
from labeler.domain.tasks import success_measured
from labeler.errors import Conflict, Invalid


class LatentLibrary:
    def __init__(self, store: Store, lock: threading.RLock | None = None) -> None:
        self.store = store
        self.lock = lock or threading.RLock()

    def stack(self, task_id: int) -> list[int]:
        """Promoted latents, oldest first, after replaying the promotion log."""
        stack: list[int] = []
        for p in self.store.latents.promotions(task_id):
            if p["action"] == "promote":
                stack.append(p["latent_id"])
            elif stack:
                stack.pop()
        return stack

    def prompt_latent_id(self, task_id: int) -> int | None:
        latents = self.store.latents.list(task_id)
        prompts = [lat for lat in latents if lat["source"] == "prompt"]
        return (prompts or latents or [{"id": None}])[0]["id"]

    def active_id(self, task_id: int) -> int | None:
        stack = self.stack(task_id)
        return stack[-1] if stack else self.prompt_latent_id(task_id)

    def promote(self, latent_id: int, round_id: int | None = None) -> dict[str, Any]:
        """Make `latent_id` its task's active latent; promoting the active one again changes nothing (the
        rollback stack never holds the same latent twice in a row)."""
        latent = self.store.latents.get(latent_id)
        with self.lock:
            if self.active_id(latent["task_id"]) != latent_id:
                self.store.latents.add_promotion(latent["task_id"], latent_id, "promote", round_id)
        return {"task_id": latent["task_id"], "active_latent_id": self.active_id(latent["task_id"])}

    def rollback(self, task_id: int) -> dict[str, Any]:
        """Undo the task's last promotion (down to its prompt latent, never below)."""
        self.store.tasks.get(task_id)
        with self.lock:
            stack = self.stack(task_id)
            if not stack:
                raise Conflict("nothing to roll back: the task is on its prompt latent")
            self.store.latents.add_promotion(task_id, stack[-1], "rollback")
        return {"task_id": task_id, "rolled_back": stack[-1], "active_latent_id": self.active_id(task_id)}

    def vector(self, latent_id: int) -> list[float]:
        return [float(v) for v in self.store.latents.get(latent_id)["vector"]]

    def library(self, task_id: int, rounds: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """The task's latents with norm, origin, last measured success rate and which is active."""
        active = self.active_id(task_id)
        success: dict[int, float] = {}
        for rnd in rounds if success_measured(self.store.tasks.get(task_id)) else ():
            for rate in ((rnd.get("result") or {}).get("eval") or {}).get("rates", []):
                success[rate["latent_id"]] = rate["success_rate"]
        out = []
        for lat in self.store.latents.list(task_id, vectors=True):
            norm = float(np.linalg.norm(np.asarray(lat.pop("vector"), dtype=np.float64)))
            out.append({**lat, "norm": norm, "active": lat["id"] == active, "success_rate": success.get(lat["id"]),
                        "round": (lat["meta"] or {}).get("round")})
        return out

    def compare(self, latent_ids: list[int]) -> dict[str, Any]:
        """Cosine similarity and L2 distance between latents (any tasks)."""
        if not 1 <= len(latent_ids) <= 32:
            raise Invalid("compare 1 to 32 latents")
        rows = [self.store.latents.get(i) for i in latent_ids]
        vecs = np.asarray([r["vector"] for r in rows], dtype=np.float64)
        norms = np.linalg.norm(vecs, axis=1)
        cos = vecs @ vecs.T / np.maximum(np.outer(norms, norms), 1e-12)
        l2 = np.linalg.norm(vecs[:, None, :] - vecs[None, :, :], axis=-1)
        return {"latents": [{k: r[k] for k in ("id", "task_id", "source", "parent_id")} for r in rows],
                "norm": norms.tolist(), "cosine": cos.round(6).tolist(), "l2": l2.round(6).tolist()}

"""How many evaluation episodes a round's review needs, and how long they take, before it starts.

The review compares the candidate with its start on the same episodes; its figure's uncertainty is the
paired difference interval (`pgt_core.stats`). The plan states the half-width the chosen `eval_episodes`
give and how many episodes a target half-width needs, at the task's last measured success rate (0.5, the
widest case, before any evaluation) and with the candidate guessed equal to its start. Time is what the
evaluation adds between Tune and the review: the candidate's episodes alone (the start latents are evaluated
while people label, or were in earlier rounds: `labeler.domain.evaluations`), at the task's last evaluation
job's seconds per episode when there is one, else `MODEL_SECONDS_PER_STEP` x the time limit (measured by
`benchmarks/bench_round.py` on 2 cores: 27 s for 2 x 50 episodes of up to 150 steps).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from labeler.db.store import Store
from labeler.domain.latents import LatentLibrary
from labeler.domain.round_config import RoundConfig
from pgt_core.stats import difference_half_width, episodes_for_difference_half_width

MODEL_SECONDS_PER_STEP = 0.002
DEFAULT_HALF_WIDTH = 0.10


def plan_evaluation(store: Store, library: LatentLibrary, task_id: int, cfg: RoundConfig,
                    half_width: float = DEFAULT_HALF_WIDTH) -> dict[str, Any]:
    task = store.tasks.get(task_id)
    latents = 2 if library.active_id(task_id) == library.prompt_latent_id(task_id) else 3
    p = last_success_rate(store, task_id)
    per_episode, source = seconds_per_episode(store, task_id, int(task["max_steps"]))
    need = episodes_for_difference_half_width(p, p, half_width)
    return {"episodes": cfg.eval_episodes, "latents": latents, "p_guess": round(p, 3),
            "half_width": round(difference_half_width(p, p, cfg.eval_episodes), 3),
            "seconds": round(cfg.eval_episodes * per_episode, 1), "source": source,
            "target_half_width": half_width, "episodes_for_target": need,
            "seconds_for_target": round(need * per_episode, 1)}


def last_success_rate(store: Store, task_id: int) -> float:
    """The success rate of the last evaluated latent that became the start of later rounds, else 0.5."""
    for rnd in reversed(store.rounds.list(task_id)):
        rates = {r["role"]: r for r in ((rnd["result"] or {}).get("eval") or {}).get("rates", [])}
        role = "candidate" if rnd["status"] == "promoted" else "base" if "base" in rates else "prompt"
        if role in rates and rates[role].get("success_rate") is not None:
            return min(max(float(rates[role]["success_rate"]), 0.0), 1.0)
    return 0.5


def seconds_per_episode(store: Store, task_id: int, max_steps: int) -> tuple[float, str]:
    for job in store.jobs.list(status="done", kind="evaluate", task_id=task_id, limit=1):
        payload = job.get("payload") or {}
        episodes = len(payload.get("seeds") or []) * len(payload.get("latents") or [])
        if episodes and job.get("claimed_at") and job.get("finished_at"):
            seconds = (_time(job["finished_at"]) - _time(job["claimed_at"])).total_seconds()
            if seconds > 0:
                return seconds / episodes, "measured"
    return max_steps * MODEL_SECONDS_PER_STEP, "model"


def _time(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))

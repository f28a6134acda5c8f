"""Tasks from prompt clips: z0 = the foundation's goal encoder applied to a clip of what "done" looks like.

A clip is one of the foundation's shipped prompts (one per Crafter task) or `clip_len` frames of
any stored episode, so a researcher can define a task by pointing at a moment in a video.
"""
from __future__ import annotations

import threading
from typing import Any, Mapping

import numpy as np

from labeler.db.store import Store
from labeler.domain.ingest import load_trajectory
from labeler.domain.instructions import default_instructions
from labeler.errors import Invalid
from labeler.files.artifacts import Artifacts
from pgt_core.envs.crafter_env import ACHIEVEMENTS
from pgt_core.policy.checkpoint import Foundation


def prompt_clip(foundation: Foundation, store: Store, artifacts: Artifacts, prompt: Mapping[str, Any]) -> np.ndarray:
    """The frames a prompt names: {'kind': 'task', 'task': NAME} or {'kind': 'trajectory', 'trajectory_id', 'start'}."""
    kind = prompt.get("kind")
    if kind == "task":
        if prompt.get("task") not in foundation.prompts:
            raise Invalid(f"no shipped prompt clip {prompt.get('task')!r}; "
                          f"available: {', '.join(sorted(foundation.prompts))}")
        return foundation.prompts[prompt["task"]]
    if kind == "trajectory":
        traj = load_trajectory(store, artifacts, str(prompt.get("trajectory_id")))
        clip_len = foundation.policy.cfg.clip_len
        start = int(prompt.get("start", 0))
        if not 0 <= start < len(traj.frames) - 1:
            raise Invalid(f"start must be in [0, {len(traj.frames) - 2}] for trajectory {prompt.get('trajectory_id')}")
        return traj.frames[start:start + clip_len]
    raise Invalid("prompt must be {'kind': 'task', 'task': NAME} or "
                  "{'kind': 'trajectory', 'trajectory_id': ID, 'start': FRAME}")


def create_task(store: Store, artifacts: Artifacts, foundation: Foundation, policy_source: str, name: str,
                achievement: str, max_steps: int, description: str = "", prompt: Mapping[str, Any] | None = None,
                lock: threading.RLock | None = None, hints: bool = False, instructions: str = "") -> dict[str, Any]:
    """A task and its z0 (the task's first latent, source 'prompt'). Blind unless `hints`; without instructions
    annotators read the default ones built from the description. An empty `achievement` makes a task with no
    reward function: only people judge it (rounds on labels, human evaluation)."""
    if achievement and achievement not in ACHIEVEMENTS:
        raise Invalid(f"unknown achievement {achievement!r}; Crafter has: {', '.join(ACHIEVEMENTS)} "
                      "(or none: a task judged by people alone)")
    prompt = dict(prompt or {"kind": "task", "task": name})
    z0 = foundation.encode_clip(prompt_clip(foundation, store, artifacts, prompt))
    with lock or threading.RLock():
        task = store.tasks.create(name, achievement, max_steps, description, hints=hints,
                                  instructions=instructions.strip() or default_instructions(description or name))
        store.latents.add(task["id"], z0.numpy(), "prompt", meta={"prompt": prompt, "policy": policy_source})
    return task

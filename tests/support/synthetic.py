"""Small synthetic datasets (no rollouts) for tests, the load benchmark and demos.

Why: the labeling app should be testable in seconds, without a policy or Crafter. Frames
are simple moving squares (cheap to encode, easy to see); events are random target hits.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from labeler.config import AppConfig
from labeler.db.store import Store
from labeler.domain.ingest import ingest_trajectory
from labeler.domain.scheduling import build_label_pairs
from labeler.files.artifacts import Artifacts
from pgt_core.tasks import CRAFTER_TASKS
from pgt_core.trajectory import Trajectory


def synthetic_trajectory(seed: int, length: int = 20, achievement: str = "collect_wood", size: int = 64) -> Trajectory:
    rng = np.random.default_rng(seed)
    frames = np.empty((length + 1, size, size, 3), dtype=np.uint8)
    frames[:] = rng.integers(40, 200, 3, dtype=np.uint8)
    hits = sorted(rng.choice(length, size=int(rng.integers(0, 4)), replace=False).tolist()) if length else []
    for t in range(length + 1):
        x = (t * 3 + seed * 7) % (size - 12)
        frames[t, 26:38, x:x + 12] = 255
        if any(h < t for h in hits):
            frames[t, :4, :] = (30, 200, 60)
    events = [(h, achievement) for h in hits]
    return Trajectory(frames, rng.integers(0, 17, length), np.zeros(length, np.float32), events, seed=seed,
                      meta={"synthetic": True})


def seed_data_dir(data_dir: str | Path, n_traj: int = 12, per_traj: int = 4, length: int = 20,
                  task: str = "collect_wood", seed: int = 0) -> dict[str, Any]:
    """Create a task with `n_traj` synthetic trajectories and about n_traj*per_traj/2 pairs in `data_dir`.

    Opens and closes the store, so call it before the app starts on the same directory.
    """
    cfg = AppConfig(data_dir=Path(data_dir))
    spec = CRAFTER_TASKS[task]
    with Store(cfg.db_path) as store:
        artifacts = Artifacts(cfg.artifact_dir)
        row = store.tasks.by_name(task) or store.tasks.create(task, spec.achievement, spec.max_steps, spec.description)
        rnd = store.rounds.create(row["id"])
        ids = []
        for i in range(n_traj):
            traj = synthetic_trajectory(seed * 100_000 + i, length, spec.achievement)
            tid = f"syn-r{rnd['number']}-{i}"
            ingest_trajectory(store, artifacts, traj, tid, row, rnd["id"])
            ids.append(tid)
        pairs = store.pairs.add(row["id"], build_label_pairs(ids, per_traj, seed), rnd["id"], source="synthetic")
        return {"task_id": row["id"], "round_id": rnd["id"], "trajectories": ids, "pair_ids": [p["id"] for p in pairs]}

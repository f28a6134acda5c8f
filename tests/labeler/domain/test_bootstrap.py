"""First start: default task, z0, a round of real Crafter rollouts, videos and pairs, as a job."""
from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from labeler.config import AppConfig
from labeler.domain.bootstrap import Bootstrapper
from labeler.domain.ingest import load_trajectory
from labeler.files.artifacts import Artifacts
from labeler.http.state import AppState
from pgt_core.seeds import BOOTSTRAP_WORLD_BASE


def test_bootstrap_job_builds_a_labelable_round_and_resumes(tmp_path):
    cfg = AppConfig(data_dir=tmp_path, bootstrap_episodes=3, bootstrap_batch_size=3, bootstrap_pairs_per_traj=2,
                    checkpoint=tmp_path / "missing.pt")  # forces the untrained fallback: fast and independent
    st = AppState.open(cfg)
    try:
        assert st.bootstrapper.needed()
        st.bootstrapper.start()
        deadline = time.monotonic() + 120
        while st.bootstrapper.status()["status"] == "running" and time.monotonic() < deadline:
            time.sleep(0.2)
        job = st.bootstrapper.status()
        assert job["status"] == "done", job
        assert job["result"]["policy"] == "untrained" and job["progress"] == 1.0
        task = st.store.tasks.by_name("collect_wood")
        trajs = st.store.trajectories.list(task["id"])
        assert len(trajs) == 3 and all(t["latent_id"] for t in trajs)
        # worlds of the bootstrap's own range, not the prompt clips' (1_000_000+): pgt_core.seeds
        assert sorted(t["seed"] for t in trajs) == [BOOTSTRAP_WORLD_BASE + i for i in range(3)]
        assert len(st.store.pairs.list(task["id"])) == 3
        z0 = np.array(st.store.latents.get(trajs[0]["latent_id"])["vector"])
        assert z0.shape == (512,) and np.isfinite(z0).all()
        traj = load_trajectory(st.store, st.artifacts, trajs[0]["id"])
        assert traj.frames.shape[1:] == (64, 64, 3) and traj.length == trajs[0]["length"]
        assert all(st.videos.path(t["id"]).is_file() for t in trajs)
        assert not st.bootstrapper.needed()

        # a second run (e.g. after a crash before pairs) only fills what is missing
        result = Bootstrapper(st.store, Artifacts(cfg.artifact_dir), st.videos, cfg).run(lambda *a, **k: None)
        assert result["trajectories"] == 3 and result["pairs_added"] == 0
        assert len(st.store.trajectories.list(task["id"])) == 3
        # episodes made under another seed range (an older version) count too: nothing extra is rolled out
        moved = replace(cfg, bootstrap_seed=1_000_000)
        result = Bootstrapper(st.store, Artifacts(cfg.artifact_dir), st.videos, moved).run(lambda *a, **k: None)
        assert result["trajectories"] == 3 and len(st.store.trajectories.list(task["id"])) == 3
    finally:
        st.bootstrapper.stop()
        st.store.close()

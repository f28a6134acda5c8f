"""Each task's latent library: the active latent is the top of its promotion stack."""
from __future__ import annotations

import numpy as np

from labeler.db.store import Store
from labeler.domain.latents import LatentLibrary


def test_promoting_the_active_latent_again_changes_nothing(tmp_path):
    with Store(tmp_path / "l.duckdb") as store:
        task = store.tasks.create("t", "collect_wood", 10)
        library = LatentLibrary(store)
        z0 = store.latents.add(task["id"], np.zeros(512), "prompt")
        z1 = store.latents.add(task["id"], np.ones(512), "tuned", parent_id=z0["id"])
        assert library.active_id(task["id"]) == z0["id"]
        for _ in range(3):
            assert library.promote(z1["id"])["active_latent_id"] == z1["id"]
        assert library.stack(task["id"]) == [z1["id"]]
        assert library.rollback(task["id"])["active_latent_id"] == z0["id"]  # one rollback undoes it
        assert library.promote(z0["id"])["active_latent_id"] == z0["id"]  # already active: no entry
        assert library.stack(task["id"]) == []

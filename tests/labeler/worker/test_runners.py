"""The rollout runner scores each episode for active selection when the round asks (its spec has z0)."""
from __future__ import annotations

import numpy as np
import torch

from labeler.worker.runners import run_rollout
from pgt_core.active import implicit_rewards
from pgt_core.policy.checkpoint import Foundation
from pgt_core.trajectory import Trajectory


class Quiet:
    def progress(self, fraction, message):
        pass

    def log(self, message):
        pass


def test_active_rollouts_return_each_episodes_implicit_reward(tmp_path):
    torch.manual_seed(0)
    policy = Foundation.untrained().policy
    z, z0 = torch.randn(512), torch.zeros(512)
    spec = {"task": {"id": 1, "name": "wood", "achievement": "collect_wood", "max_steps": 6, "description": ""},
            "z": z.tolist(), "seeds": [11, 12, 13], "batch_size": 3, "id_prefix": "t1-r1-L2"}
    plain = run_rollout(spec, policy, tmp_path / "plain", "cpu", Quiet())
    assert all("implicit_reward" not in e for e in plain.result["trajectories"])
    scored = run_rollout({**spec, "z0": z0.tolist(), "beta": 0.5}, policy, tmp_path / "scored", "cpu", Quiet())
    got = [e["implicit_reward"] for e in scored.result["trajectories"]]
    trajs = [Trajectory.load(tmp_path / "scored" / f"{e['id']}.npz") for e in scored.result["trajectories"]]
    want = implicit_rewards(policy, trajs, z, z0, beta=0.5)
    assert np.allclose(got, want, atol=1e-4) and len(set(np.round(got, 6))) > 1

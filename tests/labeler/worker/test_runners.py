"""The rollout runner scores each episode for active selection when the round asks (its spec has z0); runners hand
back trajectories only (the app makes every video itself)."""
from __future__ import annotations

import numpy as np
import torch

from labeler.worker.runners import Silent, run_evaluate, run_rollout
from pgt_core.active import implicit_rewards
from pgt_core.policy.checkpoint import Foundation
from pgt_core.trajectory import Trajectory


def test_active_rollouts_return_each_episodes_implicit_reward(tmp_path):
    torch.manual_seed(0)
    policy = Foundation.untrained().policy
    z, z0 = torch.randn(512), torch.zeros(512)
    spec = {"task": {"id": 1, "name": "wood", "achievement": "collect_wood", "max_steps": 6, "description": ""},
            "z": z.tolist(), "seeds": [11, 12, 13], "batch_size": 3, "id_prefix": "t1-r1-L2"}
    plain = run_rollout(spec, policy, tmp_path / "plain", "cpu", Silent())
    assert all("implicit_reward" not in e for e in plain.result["trajectories"])
    assert sorted(p.name for p in plain.files) == sorted(f"{e['id']}.npz" for e in plain.result["trajectories"])
    scored = run_rollout({**spec, "z0": z0.tolist(), "beta": 0.5}, policy, tmp_path / "scored", "cpu", Silent())
    got = [e["implicit_reward"] for e in scored.result["trajectories"]]
    trajs = [Trajectory.load(tmp_path / "scored" / f"{e['id']}.npz") for e in scored.result["trajectories"]]
    want = implicit_rewards(policy, trajs, z, z0, beta=0.5)
    assert np.allclose(got, want, atol=1e-4) and len(set(np.round(got, 6))) > 1


def test_the_evaluation_plays_every_latent_as_a_rollout_of_its_own_would(tmp_path):
    from pgt_core.rollout import collect_rollouts
    from pgt_core.tasks import Task

    torch.manual_seed(1)
    policy = Foundation.untrained().policy
    z0, z1 = torch.randn(512), torch.randn(512)
    task = {"id": 1, "name": "wood", "achievement": "collect_wood", "max_steps": 8, "description": ""}
    seeds = [21, 22, 23, 24]
    spec = {"task": task, "seeds": seeds, "batch_size": 3, "sample_seed": 5,
            "latents": [{"id": 1, "role": "prompt", "z": z0.tolist(), "tag": "aa"},
                        {"id": 2, "role": "candidate", "z": z1.tolist(), "tag": "bb"}],
            "review": {"episodes": 2, "roles": ["prompt", "candidate"], "id_prefix": "t1-r1-e"}}
    out = run_evaluate(spec, policy, tmp_path, "cpu", Silent())
    alone = {role: collect_rollouts(policy, z, Task("wood", "collect_wood", 8, ""), seeds, batch_size=2,
                                    sample_seed=5, keep_frames=True) for role, z in (("prompt", z0), ("candidate", z1))}
    for rate in out.result["rates"]:
        assert rate["success"] == [bool(t.events) and any(n == "collect_wood" for _, n in t.events)
                                   for t in alone[rate["role"]]]
    kept = {(k["role"], k["seed"]): k["id"] for k in out.result["review"]}
    assert sorted(p.name for p in out.files) == sorted(f"{tid}.npz" for tid in kept.values())  # no videos
    assert set(kept) == {(role, s) for role in ("prompt", "candidate") for s in seeds[:2]}
    for (role, seed), tid in kept.items():
        saved = Trajectory.load(tmp_path / f"{tid}.npz")
        same = next(t for t in alone[role] if t.seed == seed)
        assert np.array_equal(saved.actions, same.actions) and np.array_equal(saved.frames, same.frames)


def test_tuning_on_graded_pairs_holds_out_whole_episodes_when_asked(tmp_path):
    from labeler.worker.runners import run_tune

    torch.manual_seed(2)
    policy = Foundation.untrained().policy
    spec = {"task": {"id": 1, "name": "wood", "achievement": "collect_wood", "max_steps": 5, "description": ""},
            "z": torch.zeros(512).tolist(), "seeds": list(range(31, 39)), "batch_size": 8, "id_prefix": "t1-r1-L1"}
    ids = [e["id"] for e in run_rollout(spec, policy, tmp_path, "cpu", Silent()).result["trajectories"]]
    trajs = {t: Trajectory.load(tmp_path / f"{t}.npz") for t in ids}
    good, bad = ids[:4], ids[4:]  # every good x bad episode: 16 pairs, each episode in four of them
    labels = [[g, b, "left", None, 0.5] for g in good for b in bad]
    tune = {"z0": torch.zeros(512).tolist(), "labels": labels, "hyper": {"epochs": 1, "val_fraction": 0.25}}
    by_pair = run_tune({**tune, "hyper": {**tune["hyper"], "split_by": "group"}}, policy, trajs, "cpu", Silent()).result
    assert by_pair["split_by"] == "group" and by_pair["n_train"] + by_pair["n_val"] == 16  # episodes on both sides
    by_episode = run_tune({**tune, "hyper": {**tune["hyper"], "split_by": "episode"}}, policy, trajs, "cpu",
                          Silent()).result
    # whole episodes held out: pairs between a held-out and a training episode belong to neither side
    assert by_episode["split_by"] == "episode" and 0 < by_episode["n_val"] and by_episode["n_train"] + \
        by_episode["n_val"] < 16

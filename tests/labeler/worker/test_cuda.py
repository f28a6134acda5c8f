"""The worker's job runners on a GPU give what they give on the CPU for the same seeds.

Why: a worker uses CUDA whenever torch sees a GPU, and a researcher compares rounds tuned on either. The
runners (rollout, tune, evaluate) run on both devices with the shipped foundation policy and the same seeds;
the episodes' log-probabilities agree within 1e-3, and the few actions a float rounding can flip leave
success the same or within one episode. Skipped where torch sees no GPU.
"""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from labeler.worker.runners import Silent, run_evaluate, run_rollout, run_tune
from pgt_core.logprob import trajectory_logprobs
from pgt_core.policy.checkpoint import load_foundation
from pgt_core.trajectory import Trajectory

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="torch sees no CUDA GPU")

TASK = {"id": 1, "name": "wood", "achievement": "collect_wood", "max_steps": 15, "description": ""}
SEEDS = list(range(6_000_000, 6_000_016))
DEVICES = ("cpu", "cuda")


@pytest.fixture(scope="module")
def setup():
    foundation = load_foundation()
    cpu = foundation.policy.to("cpu").eval()
    other = copy.deepcopy(cpu).to(DEVICES[1]).eval()
    return {"cpu": cpu, DEVICES[1]: other, "z0": foundation.prompt_latent("collect_wood")}


@pytest.fixture(scope="module")
def rollouts(setup, tmp_path_factory):
    """The same rollout job on each device: {device: (result, {id: Trajectory})}."""
    out = {}
    for device in DEVICES:
        folder = tmp_path_factory.mktemp(f"rollout-{device}")
        spec = {"task": TASK, "z": setup["z0"].tolist(), "seeds": SEEDS, "batch_size": 8, "sample_seed": 3,
                "id_prefix": f"t1-r1-{device}"}
        res = run_rollout(spec, setup[device], folder, device, Silent())
        trajs = {e["id"]: Trajectory.load(folder / f"{e['id']}.npz") for e in res.result["trajectories"]}
        out[device] = (res.result, trajs)
    return out


def test_rollouts_agree_in_log_probs_and_success(setup, rollouts):
    (cpu_res, cpu_trajs), (gpu_res, gpu_trajs) = rollouts[DEVICES[0]], rollouts[DEVICES[1]]
    trajs = list(cpu_trajs.values())
    on_cpu = trajectory_logprobs(setup["cpu"], trajs, setup["z0"], device="cpu")
    on_gpu = trajectory_logprobs(setup[DEVICES[1]], trajs, setup["z0"], device=DEVICES[1]).cpu()
    assert torch.allclose(on_cpu, on_gpu, atol=1e-3), (on_cpu - on_gpu).abs().max()
    same = sum(np.array_equal(a.actions, b.actions) for a, b in zip(trajs, gpu_trajs.values(), strict=True))
    assert same >= len(SEEDS) - 1, f"{same} of {len(SEEDS)} episodes play the same actions"
    successes = [sum(e["success"] for e in r["trajectories"]) for r in (cpu_res, gpu_res)]
    assert abs(successes[0] - successes[1]) <= 1, successes


def test_tuning_agrees(setup, rollouts):
    _, trajs = rollouts["cpu"]
    ids = list(trajs)
    rewards = {tid: float(len(trajs[tid].events)) - 0.01 * trajs[tid].length for tid in ids}
    labels = [[a, b, "left" if rewards[a] >= rewards[b] else "right"] for a, b in zip(ids[::2], ids[1::2], strict=True)]
    labels += [[a, b, "left" if rewards[a] >= rewards[b] else "right"] for a, b in zip(ids[:8], ids[8:], strict=True)]
    spec = {"labels": labels, "z0": setup["z0"].tolist(), "hyper": {"epochs": 8, "lr": 0.01, "seed": 0}}
    cpu, gpu = (run_tune(spec, setup[d], trajs, d, Silent()).result for d in DEVICES)
    assert cpu["best_epoch"] == gpu["best_epoch"]
    assert np.allclose(cpu["z"], gpu["z"], atol=1e-3), np.abs(np.subtract(cpu["z"], gpu["z"])).max()
    for a, b in zip(cpu["history"], gpu["history"], strict=True):
        assert a["train_loss"] == pytest.approx(b["train_loss"], abs=1e-3)


def test_evaluations_agree(setup, tmp_path):
    z1 = setup["z0"] + 0.1 * torch.randn(setup["z0"].shape, generator=torch.Generator().manual_seed(0))
    spec = {"task": TASK, "seeds": SEEDS, "batch_size": 8, "sample_seed": 5,
            "latents": [{"id": 1, "role": "prompt", "z": setup["z0"].tolist()},
                        {"id": 2, "role": "candidate", "z": z1.tolist()}],
            "review": {"episodes": 2, "roles": ["prompt", "candidate"], "id_prefix": "t1-r1-e"}}
    cpu, gpu = (run_evaluate(spec, setup[d], tmp_path / d, d, Silent()).result for d in DEVICES)
    for a, b in zip(cpu["rates"], gpu["rates"], strict=True):
        assert a["role"] == b["role"]
        differ = sum(x != y for x, y in zip(a["success"], b["success"], strict=True))
        assert differ <= 1, (a["role"], a["success"], b["success"])

"""A latent's evaluation is played once and reused: round 1's start latent while people label, in round 2 both
z0 and the start latent; what a round takes from the kept evaluations equals a fresh evaluation of every latent
(outcomes and review episodes). Jobs run in this process with the worker's own runners."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from labeler.db.jobs import BACKGROUND
from labeler.db.store import Store
from labeler.files.artifacts import Artifacts
from labeler.worker.runners import Silent, run_evaluate
from pgt_core.trajectory import Trajectory
from tests.support.inline_worker import InlineWorker, label_everything, round_machine, tune_to

CONFIG = {"round_size": 4, "pairs_per_traj": 1, "eval_episodes": 4, "review_videos": 2, "batch_size": 4,
          "epochs": 1}


@pytest.fixture
def machine(tmp_path):
    machine = round_machine(tmp_path)
    yield machine
    machine.store.close()


def fresh_evaluation(worker: InlineWorker, store: Store, round_id: int, tmp) -> dict:
    """Every latent of the round's evaluation played again, in one job, as before evaluations were kept."""
    rnd = store.rounds.get(round_id)
    ev = rnd["result"]["eval"]
    spec = {"task": store.jobs.get(rnd["job_id"])["payload"]["task"], "seeds": ev["seeds"], "batch_size": 3,
            "latents": [{"id": r["latent_id"], "role": r["role"], "z": store.latents.get(r["latent_id"])["vector"],
                         "tag": r["role"]} for r in ev["rates"]],
            "review": {"episodes": CONFIG["review_videos"], "roles": [r["role"] for r in ev["rates"]],
                       "id_prefix": "fresh-"}}
    return run_evaluate(spec, worker.policy, tmp, "cpu", Silent()).result


def assert_same_evaluation(store: Store, artifacts: Artifacts, kept: dict, fresh: dict, tmp) -> None:
    assert [(r["role"], r["success"], r["mean_reward"]) for r in kept["rates"]] == [
        (r["role"], r["success"], r["mean_reward"]) for r in fresh["rates"]]
    assert sorted((v["role"], v["seed"]) for v in kept["review"]) == sorted(
        (v["role"], v["seed"]) for v in fresh["review"])
    again = {(v["role"], v["seed"]): v["id"] for v in fresh["review"]}
    for v in kept["review"]:
        old = Trajectory.load(artifacts.existing(store.trajectories.get(v["id"])["artifact"]))
        new = Trajectory.load(tmp / f"{again[(v['role'], v['seed'])]}.npz")
        assert np.array_equal(old.actions, new.actions) and np.array_equal(old.frames, new.frames)


def test_start_latents_are_evaluated_once_and_reused_exactly(machine, tmp_path):
    store, artifacts, rounds, worker, task, z0 = machine
    rnd = rounds.start_round(task["id"], CONFIG)
    worker.run_next("rollout")
    rnd = store.rounds.get(rnd["id"])
    assert rnd["status"] == "labelling"
    ahead = store.jobs.get(rnd["result"]["ahead"]["job_id"])  # z0, played while people label, behind the rest
    assert ahead["priority"] == BACKGROUND and [x["role"] for x in ahead["payload"]["latents"]] == ["prompt"]
    worker.run_next("evaluate")
    assert store.rounds.get(rnd["id"])["result"]["ahead"] == {"job_id": ahead["id"], "status": "done",
                                                             "kept": ["prompt"]}
    label_everything(store, rnd["id"])
    tune_to(worker, rounds, rnd["id"], seed=1)
    job = store.jobs.get(store.rounds.get(rnd["id"])["job_id"])
    assert [x["role"] for x in job["payload"]["latents"]] == ["candidate"]  # at Tune, only the candidate plays
    assert [x["role"] for x in job["payload"]["cached"]] == ["prompt"]
    worker.run_next("evaluate")
    rnd = store.rounds.get(rnd["id"])
    assert rnd["status"] == "review" and rnd["result"]["eval"]["reused"] == ["prompt"]
    assert_same_evaluation(store, artifacts, rnd["result"]["eval"],
                           fresh_evaluation(worker, store, rnd["id"], tmp_path / "fresh1"), tmp_path / "fresh1")

    # round 2 starts from the promoted candidate: z0 and the start latent are both known, only its candidate plays
    rounds.promote(rnd["id"], confirm=True)
    worker.run_next("rollout")  # the candidate's episodes, the next round's material
    assert store.rounds.get(rnd["id"])["status"] == "promoted"
    second = rounds.start_round(task["id"], CONFIG)
    assert second["status"] == "labelling" and "ahead" not in (second["result"] or {})
    label_everything(store, second["id"])
    tune_to(worker, rounds, second["id"], seed=2)
    job = store.jobs.get(store.rounds.get(second["id"])["job_id"])
    assert [x["role"] for x in job["payload"]["latents"]] == ["candidate"]
    worker.run_next("evaluate")
    second = store.rounds.get(second["id"])
    ev = second["result"]["eval"]
    assert [r["role"] for r in ev["rates"]] == ["prompt", "base", "candidate"] and ev["reused"] == ["prompt", "base"]
    assert [r["latent_id"] for r in ev["rates"]] == [z0["id"], rnd["candidate_latent_id"],
                                                     second["candidate_latent_id"]]
    assert_same_evaluation(store, artifacts, ev, fresh_evaluation(worker, store, second["id"], tmp_path / "fresh2"),
                           tmp_path / "fresh2")
    start_ids = {v["id"] for v in ev["review"] if v["role"] == "base"}  # the very episodes of round 1's review
    assert start_ids == {v["id"] for v in rnd["result"]["eval"]["review"] if v["role"] == "candidate"}


def test_an_evaluation_still_waiting_at_tune_is_cancelled_and_played_by_the_rounds_own(machine):
    store, artifacts, rounds, worker, task, z0 = machine
    torch.manual_seed(3)
    rnd = rounds.start_round(task["id"], CONFIG)
    worker.run_next("rollout")
    ahead_id = store.rounds.get(rnd["id"])["result"]["ahead"]["job_id"]
    label_everything(store, rnd["id"])
    tune_to(worker, rounds, rnd["id"], seed=4)  # people were quicker than the queue
    assert store.jobs.get(ahead_id)["status"] == "cancelled"
    job = store.jobs.get(store.rounds.get(rnd["id"])["job_id"])
    assert [x["role"] for x in job["payload"]["latents"]] == ["prompt", "candidate"] and not job["payload"]["cached"]
    worker.run_next("evaluate")
    rnd = store.rounds.get(rnd["id"])
    assert rnd["status"] == "review" and rnd["result"]["eval"]["reused"] == []
    assert rnd["result"]["ahead"]["status"] == "cancelled"
    assert [r["role"] for r in rnd["result"]["eval"]["rates"]] == ["prompt", "candidate"]

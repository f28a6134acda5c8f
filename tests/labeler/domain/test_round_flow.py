"""The round state machine driven through its jobs (no worker): a tune that changes nothing goes back to
labelling saying so; the review carries intervals, paired tests, outcomes per seed, filters and pages; an app
crash while a step is applied leaves all of it or nothing; a round waiting to promote shows its rollout."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from labeler.db.store import Store
from labeler.domain.ingest import ingest_trajectory
from labeler.domain.latents import LatentLibrary
from labeler.domain.round_jobs import RoundJobs
from labeler.domain.round_views import RoundViews
from labeler.domain.rounds import Rounds
from labeler.errors import Conflict, Invalid
from labeler.files.artifacts import Artifacts
from tests.support.synthetic import synthetic_trajectory


@pytest.fixture
def machine(tmp_path):
    store = Store(tmp_path / "r.duckdb")
    library = LatentLibrary(store)
    rounds = Rounds(store, Artifacts(tmp_path / "artifacts"), library,
                    RoundJobs(store, library, "untrained"))
    task = store.tasks.create("wood", "collect_wood", 20)
    z0 = store.latents.add(task["id"], np.zeros(512), "prompt")
    yield store, rounds, RoundViews(store, library), task, z0
    store.close()


def finish(store: Store, job_id: int, result: dict) -> None:
    job = store.jobs.claim("w", [store.jobs.get(job_id)["kind"]])
    assert job["id"] == job_id
    store.jobs.complete(job_id, job["lease"], result)


def test_a_tune_that_changed_nothing_returns_to_labelling_without_a_rollout(machine):
    store, rounds, views, task, z0 = machine
    rnd = store.rounds.create(task["id"], z0["id"], "tuning", {"epochs": 5})
    job = store.jobs.enqueue("tune", task["id"], {"round_id": rnd["id"], "latent_id": z0["id"]})
    store.rounds.update(rnd["id"], job_id=job["id"])
    finish(store, job["id"], {"z": [0.0] * 512, "best_epoch": 0, "epochs": 5, "best_epoch_kind": "first",
                              "diagnosis": "best epoch is 0: no epoch beat the start latent; the latent is unchanged"})
    assert rounds.reconcile() == 1
    after = store.rounds.get(rnd["id"])
    assert after["status"] == "labelling" and after["result"]["tune"]["no_change"] is True
    assert after["candidate_latent_id"] is None and len(store.latents.list(task["id"])) == 1  # no copy made
    assert [j["kind"] for j in store.jobs.list()] == ["tune"]  # no rollout, no evaluation queued
    assert "unchanged" in views.round_view(rnd["id"])["result"]["tune"]["diagnosis"]


def test_the_review_has_intervals_paired_tests_and_outcomes(machine):
    store, rounds, views, task, z0 = machine
    z1 = store.latents.add(task["id"], np.ones(512), "tuned", parent_id=z0["id"])
    rnd = store.rounds.create(task["id"], z0["id"], "review")
    seeds = list(range(20))
    before = [s % 4 == 0 for s in seeds]  # 5 of 20
    after = [s % 4 == 0 or s % 4 == 1 for s in seeds]  # 10 of 20: wins on seeds 1, 5, 9, ...
    review, kept = [], seeds[:8]
    for role, latent, success in (("prompt", z0, before), ("candidate", z1, after)):
        for s in kept:
            tid = f"e-{role[0]}-{s}"
            store.trajectories.add(tid, task["id"], seed=s, length=20, reward=float(success[s]),
                                   success=success[s], events=[], artifact=f"{tid}.npz", round_id=rnd["id"],
                                   latent_id=latent["id"], artifact_sha256="ab" * 32)
            review.append({"id": tid, "seed": s, "role": role, "latent_id": latent["id"]})
    rates = [{"latent_id": z0["id"], "role": "prompt", "success_rate": 0.25, "mean_reward": 0.25, "success": before},
             {"latent_id": z1["id"], "role": "candidate", "success_rate": 0.5, "mean_reward": 0.5, "success": after}]
    store.rounds.update(rnd["id"], candidate_latent_id=z1["id"],
                        result={"eval": {"seeds": seeds, "rates": rates, "review": review}})
    page = views.review(rnd["id"])
    vs = page["comparisons"]["vs_start"]
    assert vs["difference"] == pytest.approx(0.25) and vs["only_second"] == 5 and vs["only_first"] == 0
    assert vs["p_value"] == pytest.approx(0.0625) and not vs["significant"] and vs["verdict"] == "not significant"
    assert "not significant" in vs["summary"] and vs["interval"]["low"] < 0.25 < vs["interval"]["high"]
    assert page["rates"][0]["interval"]["low"] < 0.25 < page["rates"][0]["interval"]["high"]
    assert page["counts"] == {"win": 2, "loss": 0, "both": 2, "neither": 4} and page["total"] == 8
    assert [r["seed"] for r in views.review(rnd["id"], outcome="win")["rows"]] == [1, 5]
    assert [r["seed"] for r in views.review(rnd["id"], offset=6, limit=5)["rows"]] == [6, 7]
    assert page["rows"][0]["after"]["video_url"].endswith("?v=" + "ab" * 8)
    with pytest.raises(Invalid):
        views.review(rnd["id"], outcome="draws")
    assert views.round_view(rnd["id"])["evaluation"]["comparisons"]["vs_z0"]["verdict"] == "not significant"


def test_promoting_waits_for_the_background_rollout_and_rejecting_cancels_it(machine):
    store, rounds, views, task, z0 = machine
    z1 = store.latents.add(task["id"], np.ones(512), "tuned", parent_id=z0["id"])
    rnd = store.rounds.create(task["id"], z0["id"], "evaluating", {"round_size": 4})
    store.rounds.update(rnd["id"], candidate_latent_id=z1["id"])
    job = store.jobs.enqueue("evaluate", task["id"], {"round_id": rnd["id"]})
    store.rounds.update(rnd["id"], job_id=job["id"])
    rates = [{"latent_id": z0["id"], "role": "prompt", "success_rate": 0.0, "mean_reward": 0.0, "success": [False]},
             {"latent_id": z1["id"], "role": "candidate", "success_rate": 1.0, "mean_reward": 1.0, "success": [True]}]
    finish(store, job["id"], {"seeds": [1], "rates": rates, "review": []})
    rounds.reconcile()
    rnd = store.rounds.get(rnd["id"])
    assert rnd["status"] == "review" and rnd["rollout_job_id"]  # reviewable now; the episodes come later
    background = store.jobs.get(rnd["rollout_job_id"])
    assert background["kind"] == "rollout" and background["payload"]["latent_id"] == z1["id"]
    assert rounds.promote(rnd["id"])["status"] == "promoting"
    assert LatentLibrary(store).active_id(task["id"]) == z0["id"]  # not yet
    finish(store, background["id"], {"trajectories": [], "success_rate": 1.0})
    rounds.reconcile()
    assert store.rounds.get(rnd["id"])["status"] == "promoted"
    assert LatentLibrary(store).active_id(task["id"]) == z1["id"]
    assert rounds.reconcile() == 0  # applied once

    other = store.rounds.create(task["id"], z1["id"], "review")
    doomed = store.jobs.enqueue("rollout", task["id"], {})
    claimed = store.jobs.claim("w", ["rollout"])
    store.rounds.update(other["id"], rollout_job_id=doomed["id"])
    assert rounds.reject(other["id"])["status"] == "rejected"
    assert store.jobs.get(doomed["id"])["status"] == "cancelled"
    with pytest.raises(Conflict):  # its worker learns at the next heartbeat and stops
        store.jobs.heartbeat(doomed["id"], claimed["lease"])


class Crash(BaseException):
    """The app dying at a given write: nothing after it runs, and nothing uncommitted reaches the disk."""


def test_an_app_crash_while_opening_the_review_leaves_the_step_to_be_applied_whole_on_restart(machine, tmp_path,
                                                                                                monkeypatch):
    store, rounds, views, task, z0 = machine
    artifacts = Artifacts(tmp_path / "artifacts")
    z1 = store.latents.add(task["id"], np.ones(512), "tuned", parent_id=z0["id"])
    rnd = store.rounds.create(task["id"], z0["id"], "evaluating",
                              {"evaluation": "human", "ab_pairs": 2, "round_size": 4})
    store.rounds.update(rnd["id"], candidate_latent_id=z1["id"])
    review = []
    for role, latent in (("prompt", z0), ("candidate", z1)):
        for seed in (7, 8):
            tid = f"t{task['id']}-e{role}-s{seed}"
            ingest_trajectory(store, artifacts, synthetic_trajectory(seed, 12), tid, task, rnd["id"], latent["id"])
            review.append({"id": tid, "seed": seed, "role": role, "latent_id": latent["id"]})
    rates = [{"latent_id": lat["id"], "role": role, "success_rate": 0.0, "mean_reward": 0.0, "success": [False] * 2}
             for role, lat in (("prompt", z0), ("candidate", z1))]
    job = store.jobs.enqueue("evaluate", task["id"], {"round_id": rnd["id"]})
    store.rounds.update(rnd["id"], job_id=job["id"])
    finish(store, job["id"], {"seeds": [7, 8], "rates": rates, "review": review})

    enqueue = store.jobs.enqueue

    def dies_queuing_the_rollout(kind, *args, **kwargs):
        if kind == "rollout":
            raise Crash()
        return enqueue(kind, *args, **kwargs)

    monkeypatch.setattr(store.jobs, "enqueue", dies_queuing_the_rollout)
    with pytest.raises(Crash):  # after the review was set and the A/B pairs made, before the rollout was queued
        rounds.reconcile()
    path = store.path
    store.close()

    store = Store(path)  # the restarted app: nothing of the step is there, so it is applied again, whole
    try:
        library = LatentLibrary(store)
        rounds = Rounds(store, artifacts, library, RoundJobs(store, library, "untrained"))
        assert store.rounds.get(rnd["id"])["status"] == "evaluating"
        assert not store.pairs.list(task["id"]) and not store.jobs.list(kind="rollout")
        rounds.reconcile()
        after = store.rounds.get(rnd["id"])
        rollouts = store.jobs.list(kind="rollout")
        assert after["status"] == "review" and len(store.pairs.list(task["id"])) == 2
        assert [j["id"] for j in rollouts] == [after["rollout_job_id"]]
        assert rounds.reconcile() == 0 and len(store.jobs.list(kind="rollout")) == 1  # applied once
        rounds.reject(rnd["id"])  # and the rollout it queued is the one rejecting cancels
        assert store.jobs.get(after["rollout_job_id"])["status"] == "cancelled"
    finally:
        store.close()


def test_a_round_waiting_to_promote_shows_its_rollouts_progress(machine):
    store, rounds, views, task, z0 = machine
    z1 = store.latents.add(task["id"], np.ones(512), "tuned", parent_id=z0["id"])
    rnd = store.rounds.create(task["id"], z0["id"], "review", {"round_size": 300})
    background = store.jobs.enqueue("rollout", task["id"], {"round_id": rnd["id"], "step": "rolling_out"})
    store.rounds.update(rnd["id"], candidate_latent_id=z1["id"], rollout_job_id=background["id"],
                        result={"eval": {"seeds": [], "rates": [], "review": []}})
    claimed = store.jobs.claim("w", ["rollout"])
    store.jobs.heartbeat(background["id"], claimed["lease"], 0.4, "episode 120/300")
    assert rounds.promote(rnd["id"])["status"] == "promoting"
    shown = views.round_view(rnd["id"])["rollout_job"]
    assert (shown["status"], shown["progress"], shown["message"]) == ("running", 0.4, "episode 120/300")
    assert shown["step"] == "rolling_out" and shown["id"] == background["id"]
    store.jobs.heartbeat(background["id"], claimed["lease"], 0.8, "episode 240/300")
    assert views.round_view(rnd["id"])["rollout_job"]["progress"] == 0.8  # what the page's bar polls
    store.jobs.complete(background["id"], claimed["lease"], {"trajectories": [], "success_rate": 0.0})
    rounds.reconcile()
    assert views.round_view(rnd["id"])["status"] == "promoted"


def test_a_round_view_never_shows_a_step_half_applied(machine):
    """A view reads counts and rounds in several queries; a step committed between them (status labelling and its
    pairs, in one transaction) must show whole or not at all, never 'labelling with no pairs'."""
    store, _, views, task, z0 = machine
    rnd = store.rounds.create(task["id"], z0["id"], "collecting")
    for i in range(2):
        store.trajectories.add(f"ep-{i}", task["id"], seed=i, length=19, reward=0.0, success=False, events=[],
                               artifact=f"ep-{i}.npz", round_id=rnd["id"], latent_id=z0["id"],
                               artifact_sha256="ab" * 32)

    def apply_step() -> None:
        with store.db.transaction():
            store.rounds.update(rnd["id"], status="labelling")
            store.pairs.add(task["id"], [("ep-0", "ep-1")], rnd["id"], source="round")

    step = threading.Thread(target=apply_step)
    counted = views.label_counts

    def counts_then_the_step_commits(task_id: int):
        counts = counted(task_id)
        if not step.is_alive() and step.ident is None:
            step.start()
            step.join(timeout=1.0)  # a view without one snapshot lets it commit here, before the rounds are read
        return counts

    views.label_counts = counts_then_the_step_commits
    seen = views.round_views(task["id"])[0]
    step.join()
    assert (seen["status"], seen["pairs"]) in (("collecting", 0), ("labelling", 1))
    after = views.round_views(task["id"])[0]
    assert (after["status"], after["pairs"]) == ("labelling", 1)

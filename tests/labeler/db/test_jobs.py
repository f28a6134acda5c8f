"""Jobs: claim, heartbeat, complete, leases that expire, retries until attempts run out, logs."""
from __future__ import annotations

import pytest

from labeler.db.jobs import MAX_LOG_CHARS
from labeler.errors import Conflict


def test_job_lifecycle(store):
    job = store.jobs.enqueue("tune", payload={"epochs": 5})
    assert job["status"] == "queued" and job["payload"] == {"epochs": 5}
    assert store.jobs.claim("w1", kinds=["rollout"]) is None
    got = store.jobs.claim("w1", kinds=["tune"])
    assert got["id"] == job["id"] and got["status"] == "running" and got["attempts"] == 1
    assert store.jobs.claim("w2") is None
    assert store.jobs.heartbeat(job["id"], got["lease"], 0.5, "half")["progress"] == 0.5
    with pytest.raises(Conflict):
        store.jobs.heartbeat(job["id"], "not the lease", 0.6)
    done = store.jobs.complete(job["id"], got["lease"], {"latent_id": 3})
    assert done["status"] == "done" and done["result"] == {"latent_id": 3} and done["finished_at"]
    assert store.jobs.holds(done, got["lease"]) and not store.jobs.holds(done, "x")
    with pytest.raises(Conflict):
        store.jobs.complete(job["id"], got["lease"])


def test_stale_and_failed_jobs_are_retried_until_attempts_run_out(store):
    job = store.jobs.enqueue("rollout", max_attempts=2)
    first = store.jobs.claim("w1")
    # w1 went silent: with stale_after_s=0 the next claim takes the job over
    again = store.jobs.claim("w2", stale_after_s=0)
    assert again["id"] == job["id"] and again["worker"] == "w2" and again["attempts"] == 2
    with pytest.raises(Conflict):
        store.jobs.heartbeat(job["id"], first["lease"])  # the old worker learns it lost the job
    failed = store.jobs.fail(job["id"], again["lease"], "boom")
    assert failed["status"] == "failed" and failed["error"] == "boom"  # out of attempts

    retry = store.jobs.enqueue("rollout", max_attempts=3)
    lease = store.jobs.claim("w1")["lease"]
    assert store.jobs.fail(retry["id"], lease, "flaky")["status"] == "queued"
    assert store.jobs.claim("w3")["id"] == retry["id"]
    assert store.jobs.abandon(retry["id"], "its worker died")["status"] == "queued"  # the app's own verdict


def test_in_process_jobs_are_not_requeued(store):
    job = store.jobs.enqueue("bootstrap", worker="app:bootstrap")
    assert job["status"] == "running"
    assert store.jobs.requeue_stale(0) == 0


def test_job_logs_are_bounded_and_paged(store):
    job = store.jobs.enqueue("tune")
    assert store.jobs.add_logs(job["id"], 1, "w", ["one", "  ", "x" * (MAX_LOG_CHARS + 50)]) == 2
    logs = store.jobs.logs(job["id"])
    assert [len(line["message"]) for line in logs] == [3, MAX_LOG_CHARS]
    assert [line["message"] for line in store.jobs.logs(job["id"], after_id=logs[0]["id"])] == ["x" * MAX_LOG_CHARS]


def test_background_jobs_are_claimed_only_when_nothing_else_waits(store):
    from labeler.db.jobs import BACKGROUND

    later = store.jobs.enqueue("evaluate", priority=BACKGROUND)
    first = store.jobs.enqueue("rollout")
    second = store.jobs.enqueue("tune")
    assert [store.jobs.claim("w")["id"] for _ in range(3)] == [first["id"], second["id"], later["id"]]

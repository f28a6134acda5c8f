"""The worker protocol and the worker process: leases, retries, stale workers, kill -9 mid-job.

The protocol tests run in-process (TestClient); the kill test runs the real app and two real
worker processes on a tiny budget.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest
import torch
from fastapi.testclient import TestClient

from labeler.config import AppConfig
from labeler.files.tokens import Tokens
from labeler.http.app import create_app
from labeler.http.state import AppState
from labeler.worker import runners as job_runners
from labeler.worker.loop import describe, is_transient
from labeler.worker.service import LocalWorker
from pgt_core.tuning import TuningError
from tests.support.app_process import REPO_ROOT
from tests.support.studio import TINY, Researcher, start_app, teacher_score
from tests.support.synthetic import seed_data_dir


# -- protocol, in-process -----------------------------------------------------------------------
@pytest.fixture
def proto(tmp_path):
    seeded = seed_data_dir(tmp_path, n_traj=2, per_traj=1, length=4)
    cfg = AppConfig(data_dir=tmp_path, bootstrap=False, ui=False, job_stale_s=0.3)
    with TestClient(create_app(cfg)) as client:
        client.headers["Authorization"] = f"Bearer {Tokens.load_or_create(tmp_path).worker}"
        yield client, client.app.state.pgt.store, seeded


def claim(client, worker: str, **extra) -> tuple[dict, str]:
    got = client.post("/api/jobs/claim", json={"worker": worker, **extra}).json()
    return got["job"], got["lease"]


def test_lease_expiry_requeues_and_a_stale_worker_is_rejected(proto):
    client, store, seeded = proto
    job = store.jobs.enqueue("rollout", seeded["task_id"], {"x": 1}, max_attempts=2)
    a, lease_a = claim(client, "A", info={"device": "cpu"})
    assert a["id"] == job["id"] and a["attempts"] == 1 and lease_a
    hb = client.post(f"/api/jobs/{job['id']}/heartbeat",
                     json={"worker": "A", "lease": lease_a, "progress": 0.5, "logs": ["half way"]})
    assert hb.status_code == 200 and hb.json()["progress"] == 0.5
    time.sleep(0.5)  # A goes silent past the 0.3 s lease
    b, lease_b = claim(client, "B")
    assert b["id"] == job["id"] and b["attempts"] == 2 and b["worker"] == "B" and lease_b != lease_a
    # A wakes up: every call of it is refused, so its late result is never taken
    assert client.post(f"/api/jobs/{job['id']}/heartbeat", json={"worker": "A", "lease": lease_a}).status_code == 409
    late = client.put(f"/api/jobs/{job['id']}/artifacts/late.npz", headers={"x-pgt-lease": lease_a}, content=b"x")
    assert late.status_code == 409
    late = client.post(f"/api/jobs/{job['id']}/complete", json={"worker": "A", "lease": lease_a, "result": {"x": 1}})
    assert late.status_code == 409
    done = client.post(f"/api/jobs/{job['id']}/complete",
                       json={"worker": "B", "lease": lease_b, "result": {"from": "B"}})
    assert done.status_code == 200 and done.json()["result"] == {"from": "B"}
    again = client.post(f"/api/jobs/{job['id']}/complete",
                        json={"worker": "B", "lease": lease_b, "result": {"from": "B"}})
    assert again.status_code == 200  # a repeat after a lost answer is harmless
    assert store.jobs.get(job["id"])["result"] == {"from": "B"}
    logs = client.app.state.pgt.store.jobs.logs(job["id"])
    assert [line["message"] for line in logs] == ["half way"] and logs[0]["attempt"] == 1


def test_naming_a_worker_is_not_enough_to_act_for_it(proto):
    """The worker name is public (GET /api/jobs shows it); only the attempt's lease token counts."""
    client, store, seeded = proto
    job = store.jobs.enqueue("tune", seeded["task_id"], {})
    _, lease = claim(client, "honest")
    listed = client.get("/api/jobs").json()
    assert listed[0]["worker"] == "honest" and "lease" not in listed[0] and "lease_hash" not in listed[0]
    for forged in ("", "guess", lease[:-1] + ("x" if lease[-1] != "x" else "y")):
        assert client.post(f"/api/jobs/{job['id']}/complete",
                           json={"worker": "honest", "lease": forged, "result": {"evil": 1}}).status_code == 409
        assert client.post(f"/api/jobs/{job['id']}/fail",
                           json={"worker": "honest", "lease": forged, "error": "x"}).status_code == 409
    assert store.jobs.get(job["id"])["status"] == "running"
    assert client.post(f"/api/jobs/{job['id']}/complete",
                       json={"worker": "honest", "lease": lease, "result": {"ok": 1}}).status_code == 200


def test_failures_retry_until_max_attempts_and_permanent_ones_stop(proto):
    client, store, seeded = proto
    job = store.jobs.enqueue("tune", seeded["task_id"], {}, max_attempts=2)
    _, lease = claim(client, "A")
    r = client.post(f"/api/jobs/{job['id']}/fail",
                    json={"worker": "A", "lease": lease, "error": "out of memory", "retry": True})
    assert r.json()["status"] == "queued"
    _, lease = claim(client, "A2")
    r = client.post(f"/api/jobs/{job['id']}/fail",
                    json={"worker": "A2", "lease": lease, "error": "out of memory", "retry": True})
    assert r.json()["status"] == "failed" and r.json()["attempts"] == 2  # out of attempts
    other = store.jobs.enqueue("tune", seeded["task_id"], {}, max_attempts=3)
    _, lease = claim(client, "C")
    r = client.post(f"/api/jobs/{other['id']}/fail",
                    json={"worker": "C", "lease": lease, "error": "TuningError: NaN", "retry": False})
    assert r.json()["status"] == "failed" and r.json()["attempts"] == 1
    assert "FAILED (final)" in client.app.state.pgt.store.jobs.logs(other["id"])[-1]["message"]


def test_worker_classifies_failures():
    assert not is_transient(TuningError("non-finite loss at epoch 3"))
    assert not is_transient(ValueError("bad config"))
    assert is_transient(torch.cuda.OutOfMemoryError("CUDA out of memory")) and is_transient(MemoryError())
    assert describe(MemoryError("x")).startswith("out of memory")
    assert job_runners.pick_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")


# -- the app's own worker: a dead child's jobs come back at once ---------------------------------
class StandInLocalWorker(LocalWorker):
    """The app's worker service with a stand-in child (no torch, no HTTP): it only has to die."""

    def command(self, base_url, data_dir):
        return [sys.executable, "-c", "import time; time.sleep(120)"]


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_app_requeues_its_dead_workers_jobs_at_once(tmp_path):
    seeded = seed_data_dir(tmp_path, n_traj=2, per_traj=1, length=4)
    st = AppState.open(AppConfig(data_dir=tmp_path, bootstrap=False, ui=False, job_stale_s=60))
    store, service = st.store, StandInLocalWorker(restart_delay_s=0.1)
    try:
        orphan = store.jobs.enqueue("tune", seeded["task_id"], {})
        store.jobs.claim("local:999999:dead")  # a local worker of a previous app run
        service.start(st.store, tmp_path, "http://127.0.0.1:9")
        assert store.jobs.get(orphan["id"])["status"] == "queued"  # requeued on start, as before

        wait_for(lambda: service.proc is not None)
        child = service.proc
        mine = store.jobs.claim(f"local:{child.pid}:beef")  # the orphan again, now run by our child
        other = store.jobs.enqueue("tune", seeded["task_id"], {})
        store.jobs.claim("gpu-box:7:cafe")  # another machine's worker: not ours to touch
        os.kill(child.pid, signal.SIGKILL)
        wait_for(lambda: store.jobs.get(mine["id"])["status"] == "queued")
        job = store.jobs.get(mine["id"])  # requeued by the supervisor naming the dead child, not by the lease
        # (an expired lease reads "stopped heartbeating", and only a claim would notice it)
        assert job["worker"] is None and job["attempts"] == 2 and f"pid {child.pid}" in job["error"]
        assert "FAILED (will retry)" in store.jobs.logs(mine["id"])[-1]["message"]
        assert store.jobs.get(other["id"])["status"] == "running"
        wait_for(lambda: service.proc is not child and service.proc.poll() is None)  # a replacement runs
        again = store.jobs.claim("local:1:new")
        assert again["id"] == mine["id"] and again["attempts"] == 3
    finally:
        service.stop()
        store.close()


# -- kill -9 mid-job ------------------------------------------------------------------------------
def spawn_worker(url: str, data_dir, name: str) -> subprocess.Popen:
    """A worker process that steps its environments itself (as the app's worker in these tests): environment
    processes forked per rollout would rebuild environments and regenerate worlds on every job."""
    log = open(data_dir / f"{name}.log", "ab")
    return subprocess.Popen([sys.executable, "-m", "labeler.worker", "--url", url, "--data-dir", str(data_dir),
                             "--name", name, "--threads", "1", "--heartbeat", "0.5", "--poll", "0.3",
                             "--env-workers", "0", "--work-dir", str(data_dir / f"work-{name}")],
                            cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


def stop_worker(proc: subprocess.Popen, timeout: float = 30.0) -> None:
    """SIGTERM (the worker hands its job back at its next progress report), SIGKILL only if that takes too
    long on a loaded machine."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.slow  # the same lease and requeue as the background-rollout kill below, on a tune job
def test_kill_9_mid_tune_then_another_worker_completes_it(tmp_path):
    app = start_app(tmp_path, "--no-worker", stale_s=3)
    res = Researcher(app.url, tmp_path)
    workers: list[subprocess.Popen] = []
    try:
        workers.append(spawn_worker(app.url, tmp_path, "first"))
        task = res.create_task("wood")
        rnd = res("POST", f"/tasks/{task['id']}/rounds", 201, json={"config": TINY})
        res.wait_round(task["id"], rnd["id"], ("labelling",))
        from tests.support.http_teacher import label_pending

        label_pending(app.url, task["id"], score=teacher_score, token=res.token)
        before = res.http.get("/api/labels", params={"task_id": task["id"]}).json()
        assert len(before) >= 6

        # a tune job long enough (200 epochs) to be killed in the middle
        res("POST", f"/rounds/{rnd['id']}/tune", json={"config": {"epochs": 200}})
        job_id = res.round(task["id"], rnd["id"])["job"]["id"]
        deadline = time.monotonic() + 120
        while True:
            job = res.http.get(f"/api/jobs/{job_id}").json()
            if job["status"] == "running" and job["progress"] > 0.01:
                break
            assert job["status"] in ("queued", "running") and time.monotonic() < deadline, job
            time.sleep(0.1)
        os.kill(workers[0].pid, signal.SIGKILL)
        workers[0].wait()
        dead = job["worker"]
        assert job["attempts"] == 1

        workers.append(spawn_worker(app.url, tmp_path, "second"))
        rnd = res.wait_round(task["id"], rnd["id"], ("review", "failed"))
        assert rnd["status"] == "review", rnd["error"]
        job = res.http.get(f"/api/jobs/{job_id}").json()
        assert job["status"] == "done" and job["attempts"] == 2 and job["worker"].startswith("second:")
        assert rnd["result"]["tune"]["history"][-1]["epoch"] == 200
        # the dead worker's claim is gone for good: its late completion is refused
        late = httpx.post(f"{app.url}/api/jobs/{job_id}/complete",
                          json={"worker": dead, "lease": "the dead one's", "result": {}},
                          headers={"Authorization": f"Bearer {Tokens.load_or_create(tmp_path).worker}"})
        assert late.status_code == 409
        after = res.http.get("/api/labels", params={"task_id": task["id"]}).json()
        assert after == before  # no label lost or changed
        logs = res("GET", f"/jobs/{job_id}/logs")
        assert {line["attempt"] for line in logs} == {1, 2}
    finally:
        for w in workers:
            stop_worker(w)
        res.close()
        app.stop()


def test_kill_9_during_the_background_rollout_and_the_promotion_still_completes(tmp_path):
    """Promote while the candidate's episodes are still rolling out, kill the worker rolling them out: another
    worker finishes the job and the promotion completes, applied once."""
    app = start_app(tmp_path, "--no-worker", stale_s=3)
    res = Researcher(app.url, tmp_path)
    workers: list[subprocess.Popen] = []
    try:
        workers.append(spawn_worker(app.url, tmp_path, "first"))
        task = res.create_task("wood")
        # a rollout long enough to kill after its first batch (six batches of four); no held-out pairs, so the tune
        # picks its best epoch on training loss and the candidate differs from z0
        config = {**TINY, "round_size": 24, "batch_size": 4, "val_fraction": 0.0}
        rnd = res("POST", f"/tasks/{task['id']}/rounds", 201, json={"config": config})
        res.wait_round(task["id"], rnd["id"], ("labelling",))
        from tests.support.http_teacher import label_pending

        label_pending(app.url, task["id"], score=teacher_score, token=res.token, limit=30)
        res("POST", f"/rounds/{rnd['id']}/tune")
        rnd = res.wait_round(task["id"], rnd["id"], ("review", "failed"), timeout=300)
        assert rnd["status"] == "review", rnd["error"]
        rollout_id = rnd["rollout_job"]["id"]
        assert res("POST", f"/rounds/{rnd['id']}/promote")["status"] == "promoting"
        deadline = time.monotonic() + 120
        while True:
            job = res.http.get(f"/api/jobs/{rollout_id}").json()
            if job["status"] == "running" and job["progress"] > 0.05:
                break
            assert job["status"] in ("queued", "running") and time.monotonic() < deadline, job
            time.sleep(0.1)
        os.kill(workers[0].pid, signal.SIGKILL)
        workers[0].wait()
        assert res.round(task["id"], rnd["id"])["status"] == "promoting"  # not yet: the episodes are not in
        workers.append(spawn_worker(app.url, tmp_path, "second"))
        done = res.wait_round(task["id"], rnd["id"], ("promoted", "failed"), timeout=300)
        assert done["status"] == "promoted" and done["result"]["rollout"]["episodes"] == 24
        job = res.http.get(f"/api/jobs/{rollout_id}").json()
        assert job["status"] == "done" and job["attempts"] == 2 and job["worker"].startswith("second:")
        page = res.task(task["id"])
        assert page["active_latent_id"] == rnd["candidate_latent_id"]
        assert [p["action"] for p in page["promotions"]] == ["promote"]  # applied once
        nxt = res("POST", f"/tasks/{task['id']}/rounds", 201, json={"config": TINY})
        assert nxt["status"] == "labelling" and nxt["pairs"] > 0  # the next round starts on those episodes
    finally:
        for w in workers:
            stop_worker(w)
        res.close()
        app.stop()

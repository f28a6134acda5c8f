"""Store unit tests: migrations, constraints, idempotent labels, durability, jobs."""
from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

from labeler.errors import Conflict, Invalid, NotFound
from labeler.schema import MIGRATIONS, Migration
from labeler.store import Store


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "t.duckdb") as s:
        yield s


def add_trajs(store: Store, task_id: int, ids: list[str]) -> None:
    for i, tid in enumerate(ids):
        store.add_trajectory(tid, task_id, seed=i, length=10, reward=float(i), success=i % 2 == 0,
                             events=[(3, "collect_wood")], artifact=f"{tid}.npz")


@pytest.fixture
def pair(store):
    task = store.create_task("collect_wood", "collect_wood", 100)
    add_trajs(store, task["id"], ["a", "b", "c"])
    return store.add_pairs(task["id"], [("b", "a"), ("a", "c")])[0]


def label(store: Store, pair: dict, sub: str = "sub-00001", who: str = "ann", choice: str = "left", swap=False):
    left, right = (pair["traj_b"], pair["traj_a"]) if swap else (pair["traj_a"], pair["traj_b"])
    return store.add_label(submission_id=sub, pair_id=pair["id"], annotator=who, choice=choice,
                           left_traj=left, right_traj=right, time_spent_ms=1200)


# -- schema -----------------------------------------------------------------------------------
def test_migrations_apply_once_in_order(tmp_path):
    path = tmp_path / "m.duckdb"
    with Store(path) as s:
        assert s.schema_version() == MIGRATIONS[-1].version
    extra = Migration(MIGRATIONS[-1].version + 1, "add a column", ("ALTER TABLE tasks ADD COLUMN color TEXT",))
    with Store(path, migrations=(*MIGRATIONS, extra)) as s:
        assert s.schema_version() == extra.version
        assert s.migrate((*MIGRATIONS, extra)) == []  # nothing left to apply
        assert "color" in s.create_task("t1", "collect_wood", 10)


def test_failed_migration_rolls_back(tmp_path):
    path = tmp_path / "m.duckdb"
    bad = Migration(MIGRATIONS[-1].version + 1, "broken", ("CREATE TABLE half (x INT)", "THIS IS NOT SQL"))
    with pytest.raises(Exception):
        Store(path, migrations=(*MIGRATIONS, bad))
    with Store(path) as s:
        assert s.schema_version() == MIGRATIONS[-1].version
        assert s._scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = 'half'") == 0


# -- tasks, latents, rounds, trajectories, pairs ------------------------------------------------
def test_task_latent_round_roundtrip(store):
    task = store.create_task("collect_wood", "collect_wood", 100, "Chop a tree.")
    with pytest.raises(Conflict):
        store.create_task("collect_wood", "collect_wood", 100)
    vec = np.random.default_rng(0).normal(size=512).astype(np.float32)
    lat = store.add_latent(task["id"], vec, "prompt", meta={"k": 1})
    got = store.get_latent(lat["id"])
    np.testing.assert_allclose(np.array(got["vector"], dtype=np.float32), vec)
    assert got["meta"] == {"k": 1}
    with pytest.raises(Invalid):
        store.add_latent(task["id"], vec[:10], "prompt")
    r1, r2 = store.create_round(task["id"], lat["id"]), store.create_round(task["id"])
    assert (r1["number"], r2["number"]) == (1, 2)
    assert store.set_round_status(r1["id"], "closed")["status"] == "closed"
    with pytest.raises(NotFound):
        store.get_task(999)


def test_round_status_changes_on_rounds_with_trajectories_and_pairs(store):
    """Regression: DuckDB refuses to UPDATE a row a foreign key references, so a round's status lives
    in round_state (the rounds layer's table); the store and `RoundStore` read and write the same row."""
    from labeler.round_store import RoundStore

    task = store.create_task("collect_wood", "collect_wood", 100)
    rnd = store.create_round(task["id"])
    assert rnd["status"] == "open"
    for i, tid in enumerate(["a", "b", "c"]):
        store.add_trajectory(tid, task["id"], seed=i, length=10, reward=0.0, success=False, events=[],
                             artifact=f"{tid}.npz", round_id=rnd["id"])
    store.add_pairs(task["id"], [("a", "b"), ("b", "c")], rnd["id"])
    assert store.set_round_status(rnd["id"], "labelling")["status"] == "labelling"
    assert store.set_round_status(rnd["id"], "closed")["status"] == "closed"
    assert store.get_round(rnd["id"])["status"] == "closed"
    assert [r["status"] for r in store.list_rounds(task["id"])] == ["closed"]
    db = RoundStore(store)
    assert db.round(rnd["id"])["status"] == "closed"
    db.set_state(rnd["id"], status="review", config={"epochs": 3})
    assert store.get_round(rnd["id"])["status"] == "review"
    assert db.round(rnd["id"])["config"] == {"epochs": 3}  # the status change kept the rest of the state
    store.set_round_status(rnd["id"], "promoted")
    assert db.round(rnd["id"])["config"] == {"epochs": 3} and db.round(rnd["id"])["status"] == "promoted"
    with pytest.raises(NotFound):
        store.set_round_status(999, "closed")
    with pytest.raises(Invalid):
        store.set_round_status(rnd["id"], "")


def test_pairs_are_unordered_unique_and_same_task(store):
    t1 = store.create_task("t1", "collect_wood", 10)
    t2 = store.create_task("t2", "collect_wood", 10)
    add_trajs(store, t1["id"], ["a", "b"])
    add_trajs(store, t2["id"], ["z"])
    first = store.add_pairs(t1["id"], [("b", "a")])
    assert (first[0]["traj_a"], first[0]["traj_b"]) == ("a", "b")
    assert store.add_pairs(t1["id"], [("a", "b")]) == []  # exists already
    with pytest.raises(Invalid):
        store.add_pairs(t1["id"], [("a", "a")])
    with pytest.raises(Invalid):
        store.add_pairs(t1["id"], [("a", "z")])
    with pytest.raises(NotFound):
        store.add_pairs(t1["id"], [("a", "nope")])
    with pytest.raises(Invalid):
        store.add_trajectory("../evil", t1["id"], seed=0, length=1, reward=0, success=False, events=[], artifact="x")


# -- labels -----------------------------------------------------------------------------------
def test_label_records_order_shown_and_preference(store, pair):
    row, created = label(store, pair, choice="left", swap=True)
    assert created
    assert (row["left_traj"], row["right_traj"]) == (pair["traj_b"], pair["traj_a"])
    assert row["preferred"] == pair["traj_b"]  # left as shown, which was traj_b
    assert row["time_spent_ms"] == 1200 and row["created_at"]
    tie, _ = label(store, pair, sub="sub-00002", who="other", choice="tie")
    assert tie["preferred"] is None


def test_label_is_idempotent_on_submission_id(store, pair):
    first, created = label(store, pair)
    again, created_again = label(store, pair)
    assert created and not created_again and again["id"] == first["id"]
    assert store.count_labels() == 1


def test_label_conflicts_and_bad_input(store, pair):
    label(store, pair)
    with pytest.raises(Conflict, match="already labelled"):
        label(store, pair, sub="sub-00002")  # same person, same pair, new submission
    with pytest.raises(Conflict, match="different label"):
        label(store, pair, choice="right")  # reused submission id, other content
    with pytest.raises(NotFound):
        store.add_label(submission_id="sub-00003", pair_id=999, annotator="x", choice="left",
                        left_traj="a", right_traj="b")
    with pytest.raises(Invalid, match="choice"):
        label(store, pair, sub="sub-00004", who="y", choice="maybe")
    with pytest.raises(Invalid, match="two trajectories"):
        store.add_label(submission_id="sub-00005", pair_id=pair["id"], annotator="y", choice="left",
                        left_traj="a", right_traj="c")
    with pytest.raises(Invalid):
        label(store, pair, sub="short", who="y")
    with pytest.raises(Invalid):
        label(store, pair, sub="sub-00006", who="  ")
    assert store.count_labels() == 1


def test_concurrent_retries_write_each_label_once(store, pair):
    """16 threads x the same 2 submissions: exactly one row per (pair, annotator)."""
    results = []

    def submit(i):
        who = f"ann{i % 2}"
        try:
            results.append(label(store, pair, sub=f"sub-{who}-xyz", who=who)[1])
        except Exception as exc:  # noqa: BLE001
            results.append(exc)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(16)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert results.count(True) == 2 and results.count(False) == 14
    assert store.count_labels() == 2


def test_acknowledged_label_survives_a_crash(tmp_path):
    """A process that is killed right after add_label returns (no close, no checkpoint) loses nothing."""
    path = tmp_path / "crash.duckdb"
    code = textwrap.dedent(f"""
        import os
        from labeler.store import Store
        s = Store({str(path)!r})
        t = s.create_task("t", "collect_wood", 10)
        for tid in ("a", "b"):
            s.add_trajectory(tid, t["id"], seed=0, length=1, reward=0, success=False, events=[], artifact="x.npz")
        p = s.add_pairs(t["id"], [("a", "b")])[0]
        s.add_label(submission_id="crash-0001", pair_id=p["id"], annotator="x", choice="right",
                    left_traj="a", right_traj="b")
        os._exit(0)  # like SIGKILL: no cleanup
    """)
    subprocess.run([sys.executable, "-c", code], check=True)
    with Store(path) as s:
        rows = s.list_labels()
        assert [(r["submission_id"], r["choice"], r["preferred"]) for r in rows] == [("crash-0001", "right", "b")]


def test_close_checkpoints(tmp_path):
    path = tmp_path / "c.duckdb"
    s = Store(path)
    s.create_task("t", "collect_wood", 10)
    s.close()
    s.close()  # idempotent
    assert not path.with_name(path.name + ".wal").exists()


# -- jobs -------------------------------------------------------------------------------------
def test_job_lifecycle(store):
    job = store.enqueue_job("tune", payload={"epochs": 5})
    assert job["status"] == "queued" and job["payload"] == {"epochs": 5}
    assert store.claim_job("w1", kinds=["rollout"]) is None
    got = store.claim_job("w1", kinds=["tune"])
    assert got["id"] == job["id"] and got["status"] == "running" and got["attempts"] == 1
    assert store.claim_job("w2") is None
    assert store.heartbeat_job(job["id"], "w1", 0.5, "half")["progress"] == 0.5
    with pytest.raises(Conflict):
        store.heartbeat_job(job["id"], "w2", 0.6)
    done = store.complete_job(job["id"], "w1", {"latent_id": 3})
    assert done["status"] == "done" and done["result"] == {"latent_id": 3} and done["finished_at"]
    with pytest.raises(Conflict):
        store.complete_job(job["id"], "w1")


def test_stale_and_failed_jobs_are_retried_until_attempts_run_out(store):
    job = store.enqueue_job("rollout", max_attempts=2)
    store.claim_job("w1")
    # w1 went silent: with stale_after_s=0 the next claim takes the job over
    again = store.claim_job("w2", stale_after_s=0)
    assert again["id"] == job["id"] and again["worker"] == "w2" and again["attempts"] == 2
    with pytest.raises(Conflict):
        store.heartbeat_job(job["id"], "w1")  # the old worker learns it lost the job
    failed = store.fail_job(job["id"], "w2", "boom")
    assert failed["status"] == "failed" and failed["error"] == "boom"  # out of attempts

    retry = store.enqueue_job("rollout", max_attempts=3)
    store.claim_job("w1")
    assert store.fail_job(retry["id"], "w1", "flaky")["status"] == "queued"
    assert store.claim_job("w3")["id"] == retry["id"]


def test_in_process_jobs_are_not_requeued(store):
    job = store.enqueue_job("bootstrap", worker="app:bootstrap")
    assert job["status"] == "running"
    assert store.requeue_stale_jobs(0) == 0


def test_pair_stats_index_stays_in_step_with_the_database(tmp_path):
    """The in-memory scheduling index equals a fresh aggregate over the tables, before and after writes."""
    path = tmp_path / "i.duckdb"
    with Store(path) as s:
        task = s.create_task("t", "collect_wood", 10)
        add_trajs(s, task["id"], ["a", "b", "c", "d"])
        p1, p2 = s.add_pairs(task["id"], [("a", "b"), ("c", "d")])
        label(s, p1, sub="sub-1-ann", who="ann", choice="skip")
        assert [(x.pair_id, x.n_labels, x.seen) for x in s.pair_stats(task["id"], "ann")] == [
            (p1["id"], 0, True), (p2["id"], 0, False)]
        label(s, p1, sub="sub-1-bob", who="bob")  # after the index is loaded
        p3 = s.add_pairs(task["id"], [("a", "d")])[0]
        label(s, p3, sub="sub-3-ann", who="ann", choice="tie")
        live = {who: s.pair_stats(task["id"], who) for who in ("ann", "bob", "cyd")}
    with Store(path) as fresh:  # rebuilt from the file alone
        for who, stats in live.items():
            assert fresh.pair_stats(task["id"], who) == stats
    assert [(x.n_labels, x.seen) for x in live["ann"]] == [(1, True), (0, False), (1, True)]


def test_group_commit_isolates_refused_and_failing_labels(store, pair, monkeypatch):
    """One transaction per batch: refused labels write nothing, an unexpected error costs only its own label."""
    from labeler.store import _LabelRequest

    def req(sub, who, choice="left"):
        return _LabelRequest(sub, pair["id"], who, choice, pair["traj_a"], pair["traj_b"], 10)

    batch = [req("sub-a-0001", "ann"), req("sub-a-0001", "ann"), req("sub-b-0001", "ann"), req("sub-c-0001", "bob")]
    store._write_labels(batch)
    assert [r.done for r in batch] == [True] * 4
    assert (batch[0].created, batch[1].created, batch[1].row["id"]) == (True, False, batch[0].row["id"])
    assert isinstance(batch[2].error, Conflict) and batch[3].created

    real = store._insert_label

    def flaky(r):
        if r.annotator == "cyd":
            raise RuntimeError("disk hiccup")
        return real(r)

    monkeypatch.setattr(store, "_insert_label", flaky)
    batch = [req("sub-d-0001", "dan"), req("sub-e-0001", "cyd"), req("sub-f-0001", "eve")]
    store._write_labels(batch)
    assert batch[0].created and batch[2].created and isinstance(batch[1].error, RuntimeError)
    assert sorted(r["annotator"] for r in store.list_labels()) == ["ann", "bob", "dan", "eve"]
    assert [(s.n_labels, s.seen) for s in store.pair_stats(pair["task_id"], "dan")][0] == (4, True)

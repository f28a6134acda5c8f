"""Labels: the order shown and the preference recorded, idempotent submissions, conflicts, durability, group commit."""
from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from typing import Any

import pytest

from labeler.db.database import Database
from labeler.db.labels import LabelRepo
from labeler.db.store import Store
from labeler.errors import Conflict, Invalid, NotFound
from tests.labeler.db.helpers import add_trajs, label


def test_label_records_order_shown_and_preference(store, pair):
    row, created = label(store, pair, choice="left", swap=True)
    assert created
    assert (row["left_traj"], row["right_traj"]) == (pair["traj_b"], pair["traj_a"])
    assert row["preferred"] == pair["traj_b"]  # left as shown, which was traj_b
    assert row["time_spent_ms"] == 1200 and row["created_at"]
    tie, _ = label(store, pair, sub="sub-00002", who="other", choice="tie")
    assert tie["preferred"] is None
    listed = store.labels.list(task_id=pair["task_id"])
    assert [(r["annotator"], r["traj_a"], r["traj_b"]) for r in listed] == [
        ("ann", pair["traj_a"], pair["traj_b"]), ("other", pair["traj_a"], pair["traj_b"])]
    assert [r["annotator"] for r in store.labels.list(after_id=listed[0]["id"])] == ["other"]
    assert store.labels.count(annotator="other") == 1


def test_label_is_idempotent_on_submission_id(store, pair):
    first, created = label(store, pair)
    again, created_again = label(store, pair)
    assert created and not created_again and again["id"] == first["id"]
    assert store.labels.count() == 1


def test_label_conflicts_and_bad_input(store, pair):
    label(store, pair)
    with pytest.raises(Conflict, match="already labelled"):
        label(store, pair, sub="sub-00002")  # same person, same pair, new submission
    with pytest.raises(Conflict, match="different label"):
        label(store, pair, choice="right")  # reused submission id, other content
    with pytest.raises(NotFound):
        store.labels.add(submission_id="sub-00003", pair_id=999, annotator="x", choice="left",
                         left_traj="a", right_traj="b")
    with pytest.raises(Invalid, match="choice"):
        label(store, pair, sub="sub-00004", who="y", choice="maybe")
    with pytest.raises(Invalid, match="two trajectories"):
        store.labels.add(submission_id="sub-00005", pair_id=pair["id"], annotator="y", choice="left",
                         left_traj="a", right_traj="c")
    with pytest.raises(Invalid):
        label(store, pair, sub="short", who="y")
    with pytest.raises(Invalid):
        label(store, pair, sub="sub-00006", who="  ")
    assert store.labels.count() == 1


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
    assert store.labels.count() == 2


class DiskHiccup:
    """The store's own database, except that writing one annotator's label fails as a disk error would."""

    def __init__(self, db: Database, annotator: str) -> None:
        self.db, self.annotator = db, annotator

    def __getattr__(self, name: str) -> Any:
        return getattr(self.db, name)

    def one(self, sql: str, params: list[Any] | None = None) -> dict[str, Any] | None:
        if sql.lstrip().startswith("INSERT INTO labels") and self.annotator in (params or []):
            raise OSError(5, "disk hiccup")
        return self.db.one(sql, params)


def test_a_failing_label_costs_only_itself_in_a_shared_commit(store, pair):
    """Labels submitted together share one transaction; a refused one and one that fails unexpectedly
    (a disk error, through the database the repository is given) are answered with their own error while
    every other label is stored."""
    labels = LabelRepo(DiskHiccup(store.db, "cyd"), store.labels.index)
    outcomes: dict[str, object] = {}
    barrier = threading.Barrier(6)

    def submit(who: str, sub: str) -> None:
        barrier.wait()
        try:
            outcomes[f"{who}/{sub}"] = labels.add(submission_id=sub, pair_id=pair["id"], annotator=who,
                                                  choice="left", left_traj=pair["traj_a"],
                                                  right_traj=pair["traj_b"])[1]
        except Exception as exc:  # noqa: BLE001
            outcomes[f"{who}/{sub}"] = type(exc).__name__

    jobs = [("ann", "sub-a-0001"), ("ann", "sub-b-0001"), ("bob", "sub-c-0001"), ("cyd", "sub-d-0001"),
            ("dan", "sub-e-0001"), ("eve", "sub-f-0001")]
    threads = [threading.Thread(target=submit, args=j) for j in jobs]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert outcomes["cyd/sub-d-0001"] == "OSError"
    ann = sorted(str(outcomes[k]) for k in ("ann/sub-a-0001", "ann/sub-b-0001"))
    assert ann == ["Conflict", "True"]  # one of the two labels of ann for the same pair is refused
    assert all(outcomes[k] is True for k in ("bob/sub-c-0001", "dan/sub-e-0001", "eve/sub-f-0001"))
    assert sorted(r["annotator"] for r in store.labels.list()) == ["ann", "bob", "dan", "eve"]
    assert [(s.n_labels, s.seen) for s in store.items.stats(pair["task_id"], "cyd")][0] == (4, False)


def test_acknowledged_label_survives_a_crash(tmp_path):
    """A process that is killed right after `labels.add` returns (no close, no checkpoint) loses nothing."""
    path = tmp_path / "crash.duckdb"
    code = textwrap.dedent(f"""
        import os
        from labeler.db.store import Store
        s = Store({str(path)!r})
        t = s.tasks.create("t", "collect_wood", 10)
        for tid in ("a", "b"):
            s.trajectories.add(tid, t["id"], seed=0, length=1, reward=0, success=False, events=[],
                               artifact="x.npz")
        p = s.pairs.add(t["id"], [("a", "b")])[0]
        s.labels.add(submission_id="crash-0001", pair_id=p["id"], annotator="x", choice="right",
                     left_traj="a", right_traj="b")
        os._exit(0)  # like SIGKILL: no cleanup
    """)
    subprocess.run([sys.executable, "-c", code], check=True)
    with Store(path) as s:
        rows = s.labels.list()
        assert [(r["submission_id"], r["choice"], r["preferred"]) for r in rows] == [("crash-0001", "right", "b")]


def test_close_checkpoints(tmp_path):
    path = tmp_path / "c.duckdb"
    s = Store(path)
    s.tasks.create("t", "collect_wood", 10)
    s.close()
    s.close()  # idempotent
    assert not path.with_name(path.name + ".wal").exists()


def test_item_index_stays_in_step_with_the_database(tmp_path):
    """The in-memory scheduling index equals a fresh aggregate over the tables, before and after writes:
    labels, answers to questions, skips and undos."""
    path = tmp_path / "i.duckdb"
    with Store(path) as s:
        task = s.tasks.create("t", "collect_wood", 10)
        add_trajs(s, task["id"], ["a", "b", "c", "d"])
        p1, p2 = s.pairs.add(task["id"], [("a", "b"), ("c", "d")])
        label(s, p1, sub="sub-1-ann", who="ann", choice="skip")
        assert [(x.item, x.n_labels, x.seen, x.skipped) for x in s.items.stats(task["id"], "ann")] == [
            (f"p{p1['id']}", 0, True, True), (f"p{p2['id']}", 0, False, False)]
        label(s, p1, sub="sub-1-bob", who="bob")  # after the index is loaded
        p3 = s.pairs.add(task["id"], [("a", "d")])[0]
        label(s, p3, sub="sub-3-ann", who="ann", choice="tie")
        q = s.questions.add(task["id"], "best_of_k", [["a", "b", "c"]])[0]
        s.answers.add(submission_id="ans-1-ann", question_id=q["id"], annotator="ann", answer={"best": "a"},
                      shown=["c", "a", "b"])
        s.answers.add(submission_id="ans-1-bob", question_id=q["id"], annotator="bob", answer={"skip": True},
                      shown=["a", "b", "c"])
        label(s, p2, sub="sub-2-cyd", who="cyd")
        s.labels.undo("sub-2-cyd", "changed my mind")
        live = {who: s.items.stats(task["id"], who) for who in ("ann", "bob", "cyd")}
    with Store(path) as fresh:  # rebuilt from the file alone
        for who, stats in live.items():
            assert fresh.items.stats(task["id"], who) == stats
    assert [(x.n_labels, x.seen) for x in live["ann"]] == [(1, True), (0, False), (1, True), (1, True)]
    assert [(x.item[0], x.seen, x.skipped) for x in live["bob"]][3] == ("q", True, True)
    assert not live["cyd"][1].seen  # the undone label no longer counts


def test_undone_label_stays_on_record_and_frees_the_pair_for_its_author(tmp_path):
    with Store(tmp_path / "u.duckdb") as s:
        task = s.tasks.create("t", "collect_wood", 10)
        add_trajs(s, task["id"], ["a", "b"])
        pair = s.pairs.add(task["id"], [("a", "b")])[0]
        label(s, pair, sub="sub-undo-1", who="ann", choice="left")
        with pytest.raises(Conflict):
            label(s, pair, sub="sub-undo-2", who="ann", choice="right")
        s.labels.undo("sub-undo-1", "undone by ann")
        label(s, pair, sub="sub-undo-2", who="ann", choice="right")
        live = s.labels.list(task["id"])
        every = s.labels.list(task["id"], include_undone=True)
    assert [r["choice"] for r in live] == ["right"]
    assert [(r["choice"], r["undo_reason"]) for r in every] == [("left", "undone by ann"), ("right", None)]
    assert every[0]["undone_at"] is not None

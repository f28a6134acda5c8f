"""Tasks, latents, rounds, trajectories and pairs: round trips and the constraints each table keeps."""
from __future__ import annotations

import numpy as np
import pytest

from labeler.db.rounds import STATUSES
from labeler.errors import Conflict, Invalid, NotFound
from tests.support.db_rows import add_trajs


def test_task_latent_round_roundtrip(store):
    task = store.tasks.create("collect_wood", "collect_wood", 100, "Chop a tree.")
    with pytest.raises(Conflict):
        store.tasks.create("collect_wood", "collect_wood", 100)
    vec = np.random.default_rng(0).normal(size=512).astype(np.float32)
    lat = store.latents.add(task["id"], vec, "prompt", meta={"k": 1})
    got = store.latents.get(lat["id"])
    np.testing.assert_allclose(np.array(got["vector"], dtype=np.float32), vec)
    assert got["meta"] == {"k": 1}
    with pytest.raises(Invalid):
        store.latents.add(task["id"], vec[:10], "prompt")
    with pytest.raises(Invalid):
        store.latents.add(task["id"], np.full(512, np.nan), "prompt")
    r1, r2 = store.rounds.create(task["id"], lat["id"]), store.rounds.create(task["id"])
    assert (r1["number"], r2["number"]) == (1, 2)
    with pytest.raises(NotFound):
        store.tasks.get(999)


def test_a_round_has_one_status_and_it_changes_with_trajectories_and_pairs_attached(store):
    task = store.tasks.create("collect_wood", "collect_wood", 100)
    rnd = store.rounds.create(task["id"], status="collecting", config={"epochs": 3})
    add_trajs(store, task["id"], ["a", "b", "c"], round_id=rnd["id"])
    store.pairs.add(task["id"], [("a", "b"), ("b", "c")], rnd["id"])
    assert store.rounds.update(rnd["id"], status="labelling")["status"] == "labelling"
    after = store.rounds.update(rnd["id"], status="review", result={"eval": {}})
    assert (after["status"], after["config"], after["result"]) == ("review", {"epochs": 3}, {"eval": {}})
    assert [r["status"] for r in store.rounds.list(task["id"])] == ["review"]
    assert [r["id"] for r in store.rounds.list(statuses=["review"])] == [rnd["id"]]
    assert store.rounds.list(statuses=["tuning"]) == []
    with pytest.raises(Invalid, match="unknown round status"):
        store.rounds.update(rnd["id"], status="closed")
    with pytest.raises(Invalid):
        store.rounds.create(task["id"], status="open")
    with pytest.raises(NotFound):
        store.rounds.update(999, status="review")
    with pytest.raises(ValueError, match="unknown round fields"):
        store.rounds.update(rnd["id"], number=7)
    assert store.rounds.get(rnd["id"])["status"] == "review"
    assert "labelling" in STATUSES and "open" not in STATUSES


def test_latent_promotion_log_is_append_only(store):
    task = store.tasks.create("t", "collect_wood", 10)
    lat = store.latents.add(task["id"], np.zeros(512), "prompt")
    store.latents.add_promotion(task["id"], lat["id"], "promote")
    store.latents.add_promotion(task["id"], lat["id"], "rollback")
    assert [p["action"] for p in store.latents.promotions(task["id"])] == ["promote", "rollback"]
    with pytest.raises(Invalid):
        store.latents.add_promotion(task["id"], lat["id"], "undo")


def test_pairs_are_unordered_unique_and_same_task(store):
    t1 = store.tasks.create("t1", "collect_wood", 10)
    t2 = store.tasks.create("t2", "collect_wood", 10)
    add_trajs(store, t1["id"], ["a", "b"])
    add_trajs(store, t2["id"], ["z"])
    first = store.pairs.add(t1["id"], [("b", "a")])
    assert (first[0]["traj_a"], first[0]["traj_b"]) == ("a", "b")
    assert store.pairs.add(t1["id"], [("a", "b")]) == []  # exists already
    with pytest.raises(Invalid):
        store.pairs.add(t1["id"], [("a", "a")])
    with pytest.raises(Invalid):
        store.pairs.add(t1["id"], [("a", "z")])
    with pytest.raises(NotFound):
        store.pairs.add(t1["id"], [("a", "nope")])
    with pytest.raises(Invalid):
        store.trajectories.add("../evil", t1["id"], seed=0, length=1, reward=0, success=False, events=[],
                               artifact="x")
    with pytest.raises(Conflict):
        add_trajs(store, t1["id"], ["a"])
    detail = store.pairs.detail(first[0]["id"])
    assert (detail["a"]["id"], detail["b"]["id"], detail["achievement"]) == ("a", "b", "collect_wood")


def test_quality_tables(store, pair):
    q = store.quality
    assert q.add_check(pair["id"], pair["task_id"], "gold", expected="a") == q.add_check(pair["id"], pair["task_id"],
                                                                                          "gold", expected="b")
    assert q.gold(pair["task_id"]) == {pair["id"]: "a"}
    with pytest.raises(Invalid):
        q.add_check(pair["id"], pair["task_id"], "silver")
    q.add_adjudication(pair["id"], "a", "res")
    q.add_adjudication(pair["id"], "discard", "res")  # the latest counts
    assert q.decisions(pair["task_id"]) == {pair["id"]: "discard"}
    assert len(q.adjudications(pair["task_id"], latest_only=False)) == 2
    q.add_alias("a2", "a")
    assert q.aliases() == {"a2": "a"}


def test_a_transaction_that_rolls_back_leaves_neither_rows_nor_items_to_schedule(store):
    task = store.tasks.create("t_rollback", "collect_wood", 10)
    add_trajs(store, task["id"], ["a", "b", "c"])
    store.items.stats(task["id"], "ann")  # the scheduler's index of the task, loaded
    with pytest.raises(RuntimeError), store.db.transaction():
        with store.db.transaction():  # a repository's own transaction inside joins the outer one
            store.pairs.add(task["id"], [("a", "b")])
        store.questions.add(task["id"], "per_episode", [["c"]])
        raise RuntimeError("the app died here")
    assert store.pairs.list(task["id"]) == [] and store.questions.list(task["id"]) == []
    assert store.items.stats(task["id"], "ann") == []  # nothing served that the database does not hold
    with store.db.transaction():
        store.pairs.add(task["id"], [("a", "b")])
    assert len(store.items.stats(task["id"], "ann")) == 1

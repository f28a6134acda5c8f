"""Answers to questions over HTTP: one episode or K at once, blind views, undo, and bad input that stores
nothing (a 4xx that says what does not fit)."""
from __future__ import annotations

import uuid

import pytest

from tests.support.http_requests import label_body, next_pair, tokens


@pytest.fixture
def questions(env):
    client, seeded, cfg = env
    store = client.app.state.pgt.store
    ids = seeded["trajectories"]
    grade = store.questions.add(seeded["task_id"], "per_episode", [[ids[0]]], seeded["round_id"])[0]
    group = store.questions.add(seeded["task_id"], "best_of_k", [ids[1:5]], seeded["round_id"])[0]
    return client, seeded, cfg, grade, group


def answer(client, q, who="ann", body=None, shown=None, sub=None):
    payload = {"submission_id": sub or str(uuid.uuid4()), "question_id": q["id"], "annotator": who,
               "answer": body, "shown": shown if shown is not None else q["episodes"], "time_spent_ms": 4200,
               "playback_rate": 2.0}
    return client.post("/api/answers", json=payload)


def n_answers(client, seeded, cfg):
    researcher, _ = tokens(cfg)
    return len(client.get("/api/answers", params={"task_id": seeded["task_id"], "include_undone": True},
                          headers=researcher).json())


def test_the_queue_serves_questions_blind_and_keeps_what_was_shown(questions):
    client, seeded, cfg, grade, group = questions
    seen = []
    for _ in range(12):
        res = client.get("/api/next", params={"task_id": seeded["task_id"], "annotator": "ann", "client": "tab-1",
                                              "exclude": ",".join(seen)}).json()
        if res["item"] is None:
            break
        seen.append(res["item"]["item"])
        item = res["item"]
        episodes = item["episodes"] or [item["left"], item["right"]]
        assert item.get("target") is None
        assert all(e.get(k) is None for e in episodes for k in ("success", "reward", "events", "latent_id"))
    assert {f"q{grade['id']}", f"q{group['id']}"} <= set(seen)
    group_view = client.get("/api/next", params={"task_id": seeded["task_id"], "annotator": "ann2",
                                                 "exclude": ",".join(s for s in seen if s != f"q{group['id']}")})
    shown = [e["id"] for e in group_view.json()["item"]["episodes"]]
    assert sorted(shown) == sorted(group["episodes"])
    r = answer(client, group, body={"best": shown[2], "worst": shown[0]}, shown=shown)
    assert r.status_code == 201, r.text
    row = r.json()["answer"]
    assert row["shown"] == shown and row["playback_rate"] == 2.0 and row["time_spent_ms"] == 4200


@pytest.mark.parametrize("body,shown_fix", [
    ({"grade": "good"}, None),  # a grade on a best-of-K question
    ({"best": "nobody"}, None),  # an episode not in the question
    ({"order": [["X"], ["X"]]}, None),
    ({}, None),
    ({"best": "E1", "worst": "E1"}, None),  # the best cannot also be the worst
    ({"skip": True, "best": "E1"}, None),
    ({"best": "E1"}, "drop-one"),  # `shown` must list the question's episodes
])
def test_a_best_of_k_answer_that_does_not_fit_is_refused_and_nothing_is_stored(questions, body, shown_fix):
    client, seeded, cfg, _, group = questions
    eps = group["episodes"]
    body = {k: (eps[0] if v == "E1" else v) for k, v in body.items()}
    if "order" in body:
        body["order"] = [[eps[0]], [eps[0]], *[[e] for e in eps[1:]]]  # an episode placed twice
    shown = eps[1:] if shown_fix == "drop-one" else None
    before = n_answers(client, seeded, cfg)
    r = answer(client, group, body=body, shown=shown)
    assert r.status_code == 422 and "detail" in r.json(), r.text
    assert n_answers(client, seeded, cfg) == before


def test_per_episode_grades_and_resends(questions):
    client, seeded, cfg, grade, _ = questions
    assert answer(client, grade, body={"grade": "great"}).status_code == 422
    sub = str(uuid.uuid4())
    assert answer(client, grade, body={"grade": "good"}, sub=sub).status_code == 201
    again = answer(client, grade, body={"grade": "good"}, sub=sub)
    assert again.status_code == 200 and again.json()["created"] is False
    assert n_answers(client, seeded, cfg) == 1


def test_undo_is_the_authors_until_tuning_reads_it_and_stays_on_record(questions):
    client, seeded, cfg, grade, _ = questions
    sub = str(uuid.uuid4())
    assert answer(client, grade, body={"grade": "bad"}, sub=sub).status_code == 201
    assert client.post("/api/undo", json={"submission_id": sub, "annotator": "mallory"}).status_code == 403
    r = client.post("/api/undo", json={"submission_id": sub, "annotator": "ann"})
    assert r.status_code == 200 and r.json()["undone_at"] and r.json()["kind"] == "answer"
    researcher, _ = tokens(cfg)
    rows = client.get("/api/answers", params={"task_id": seeded["task_id"], "include_undone": True},
                      headers=researcher).json()
    assert [a["undo_reason"] for a in rows] == ["undone by ann"]  # audited, not deleted
    assert client.get("/api/answers", params={"task_id": seeded["task_id"]}, headers=researcher).json() == []
    item = client.get("/api/next", params={"task_id": seeded["task_id"], "annotator": "ann",
                                           "exclude": ",".join(f"p{p}" for p in seeded["pair_ids"])}).json()["item"]
    assert item is not None  # the question is open to its author again

    pair = next_pair(client, seeded["task_id"], "ann")["pair"]
    label = label_body(pair, "ann")
    assert client.post("/api/labels", json=label).status_code == 201
    store = client.app.state.pgt.store
    store.jobs.enqueue("tune", seeded["task_id"], {"round_id": seeded["round_id"]})  # tuning read it
    r = client.post("/api/undo", json={"submission_id": label["submission_id"], "annotator": "ann"})
    assert r.status_code == 409 and "tuning" in r.json()["detail"]
    assert client.post("/api/undo", json={"submission_id": "no-such-answer", "annotator": "ann"}).status_code == 404


def test_own_progress_counts_answers_and_time_not_skips(questions):
    client, seeded, cfg, grade, group = questions
    assert answer(client, grade, body={"grade": "good"}).status_code == 201
    assert answer(client, group, body={"skip": True}).status_code == 201
    mine = client.get(f"/api/tasks/{seeded['task_id']}/progress", params={"annotator": "ann"}).json()
    assert mine["answers"] == 1 and mine["seconds"] == pytest.approx(4.2) and mine["skipped"] == 1
    assert mine["labelled"] == 1 and mine["done"] == 2

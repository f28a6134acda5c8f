"""The quality router in the app: summary, gold/repeat checks, adjudication queue and resolution."""
from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from labeler.config import AppConfig
from labeler.files.tokens import Tokens
from labeler.http.app import create_app
from tests.support.synthetic import seed_data_dir


@pytest.fixture
def app(tmp_path):
    seeded = seed_data_dir(tmp_path, n_traj=10, per_traj=2, length=8)
    cfg = AppConfig(data_dir=tmp_path, bootstrap=False, ui=False, labels_per_pair=3)
    application = create_app(cfg)  # mounts the quality router, for researchers only
    with TestClient(application) as client:
        client.headers["Authorization"] = f"Bearer {Tokens.load_or_create(tmp_path).researcher}"
        yield client, seeded


def _label(client, pair_id: int, who: str, choice: str, swap: bool = False) -> None:
    pair = client.get(f"/api/pairs/{pair_id}").json()
    left, right = (pair["traj_b"], pair["traj_a"]) if swap else (pair["traj_a"], pair["traj_b"])
    r = client.post("/api/labels", json={"submission_id": str(uuid.uuid4()), "pair_id": pair_id, "annotator": who,
                                         "choice": choice, "left_traj": left, "right_traj": right,
                                         "time_spent_ms": 2000})
    assert r.status_code == 201, r.text


def test_summary_queue_adjudication_and_resolution(app):
    client, seeded = app
    task, (p1, p2, p3) = seeded["task_id"], seeded["pair_ids"][:3]
    for who, choice in (("ann", "left"), ("bob", "left"), ("cat", "right")):
        _label(client, p1, who, choice)  # 2:1 -> majority
    _label(client, p2, "ann", "left")
    _label(client, p2, "bob", "right")  # 1:1 -> needs a researcher
    _label(client, p3, "ann", "left")
    _label(client, p3, "bob", "left", swap=True)  # bob chose the other rollout (it was on the left)

    s = client.get("/api/quality/summary", params={"task_id": task}).json()
    assert s["n_labels"] == 7 and s["alpha"] is not None and len(s["annotators"]) == 3
    assert {a["annotator"] for a in s["annotators"]} == {"ann", "bob", "cat"}
    assert s["throughput"]["time_per_label_s"]["median"] == 2.0

    queue = client.get("/api/quality/adjudication", params={"task_id": task}).json()
    assert [d["pair_id"] for d in queue] == [p2, p3, p1]
    assert ".mp4?v=" in queue[0]["a"]["video_url"] and queue[0]["majority"] is None

    r = client.post("/api/quality/adjudication", json={"pair_id": p2, "decision": "b", "researcher": "rita"})
    assert r.status_code == 201 and r.json()["preferred"] == queue[0]["traj_b"]
    assert client.post("/api/quality/adjudication",
                       json={"pair_id": p3, "decision": "nope", "researcher": "rita"}).status_code == 422
    client.post("/api/quality/adjudication", json={"pair_id": p3, "decision": "discard", "researcher": "rita"})
    assert [d["pair_id"] for d in client.get("/api/quality/adjudication", params={"task_id": task}).json()] == [p1]

    resolved = {r["pair_id"]: r for r in client.get("/api/quality/resolved", params={"task_id": task}).json()}
    assert set(resolved) == {p1, p2}  # p3 discarded
    assert resolved[p1]["source"] == "majority" and resolved[p1]["outcome"] == "a"
    assert resolved[p2]["source"] == "adjudicated" and resolved[p2]["outcome"] == "b"
    assert client.get("/api/quality/summary", params={"task_id": 999}).status_code == 404


def test_gold_and_repeat_checks_feed_accuracy_and_consistency(app):
    client, seeded = app
    task = seeded["task_id"]
    pairs = client.get("/api/pairs", params={"task_id": task}).json()
    _label(client, pairs[0]["id"], "ann", "left")
    r = client.post("/api/quality/checks", json={"task_id": task, "n_gold": 3, "n_repeats": 1})
    assert r.status_code == 201, r.text
    out = r.json()
    assert len(out["repeats"]) == 1 and out["repeats"][0]["original_pair_id"] == pairs[0]["id"]
    repeat = client.get(f"/api/pairs/{out['repeats'][0]['pair_id']}").json()
    assert {repeat["traj_a"], repeat["traj_b"]}.isdisjoint({pairs[0]["traj_a"], pairs[0]["traj_b"]})
    # ann sees the repeat with the original's b rollout on the left and again picks the original's a rollout
    aliases = client.app.state.pgt.store.quality.aliases()
    alias_for_a = next(k for k in (repeat["traj_a"], repeat["traj_b"]) if aliases[k] == pairs[0]["traj_a"])
    other = next(k for k in (repeat["traj_a"], repeat["traj_b"]) if k != alias_for_a)
    r = client.post("/api/labels", json={"submission_id": str(uuid.uuid4()), "pair_id": repeat["id"],
                                         "annotator": "ann", "choice": "right", "left_traj": other,
                                         "right_traj": alias_for_a})
    assert r.status_code == 201, r.text
    for g in out["gold"]:
        pair = client.get(f"/api/pairs/{g['pair_id']}").json()
        loser = pair["traj_b"] if g["expected"] == pair["traj_a"] else pair["traj_a"]
        client.post("/api/labels", json={"submission_id": str(uuid.uuid4()), "pair_id": g["pair_id"],
                                         "annotator": "gil", "choice": "left", "left_traj": g["expected"],
                                         "right_traj": loser})
    s = client.get("/api/quality/summary", params={"task_id": task}).json()
    rows = {a["annotator"]: a for a in s["annotators"]}
    assert rows["ann"]["self_consistency"] == {"k": 1, "n": 1, "rate": 1.0}
    assert len(out["gold"]) == 3 and rows["gil"]["gold_accuracy"] == {"k": 3, "n": 3, "rate": 1.0}
    assert s["checks"] == {"gold": len(out["gold"]), "repeat": 1}
    resolved = client.get("/api/quality/resolved", params={"task_id": task}).json()
    assert repeat["id"] not in {r["pair_id"] for r in resolved}  # repeats never count twice


def test_dashboard_page(app):
    client, _ = app
    page = client.get("/quality")
    assert page.status_code == 200 and "quality" in page.text.lower()


def test_tie_against_both_bad_is_left_out_of_the_queue_unless_asked_for(app):
    """No decision on a pair nobody preferred a side of gives tuning a preference, so it does not queue by default."""
    client, seeded = app
    task, (undecided, decided) = seeded["task_id"], seeded["pair_ids"][:2]
    _label(client, undecided, "ann", "tie")
    _label(client, undecided, "bob", "both_bad")
    _label(client, decided, "ann", "tie")
    _label(client, decided, "bob", "right")

    def queue(**params) -> list[int]:
        found = client.get("/api/quality/adjudication", params={"task_id": task, **params}).json()
        return [d["pair_id"] for d in found]

    assert queue() == [decided]
    assert sorted(queue(include_undecided=True)) == sorted([undecided, decided])

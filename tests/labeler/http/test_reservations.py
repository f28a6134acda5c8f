"""Pair reservations: one person's two tabs are sent different pairs, and made-up names from one address cannot
reserve every pair for the people who really label."""
from __future__ import annotations

from fastapi.testclient import TestClient

from labeler.config import AppConfig
from labeler.http.app import create_app
from tests.support.http_requests import label_body
from tests.support.synthetic import seed_data_dir


def test_two_tabs_of_one_annotator_get_different_pairs(env):
    client, seeded, _ = env
    task = seeded["task_id"]
    one = client.get("/api/pairs/next", params={"task_id": task, "annotator": "ann", "client": "tab-1"}).json()
    two = client.get("/api/pairs/next", params={"task_id": task, "annotator": "ann", "client": "tab-2"}).json()
    assert one["pair"]["id"] != two["pair"]["id"]
    again = client.get("/api/pairs/next", params={"task_id": task, "annotator": "ann", "client": "tab-1"}).json()
    assert again["pair"]["id"] != two["pair"]["id"]  # tab 1 is not handed tab 2's pair either
    assert client.post("/api/labels", json=label_body(one["pair"], "ann")).status_code == 201
    assert client.get("/api/pairs/next", params={"task_id": task, "annotator": "ann",
                                                  "client": "x" * 65}).status_code == 422


def test_made_up_names_cannot_reserve_every_pair(tmp_path):
    seeded = seed_data_dir(tmp_path, n_traj=24, per_traj=5, length=4)  # 60 pairs
    cfg = AppConfig(data_dir=tmp_path, bootstrap=False, ui=False, labels_per_pair=1)
    app = create_app(cfg)
    with TestClient(app, client=("10.9.9.9", 5000)) as attacker:
        for k in range(100):
            r = attacker.get("/api/pairs/next", params={"task_id": seeded["task_id"], "annotator": f"bot{k}"})
            assert r.status_code == 200
        person = TestClient(app, client=("10.0.0.7", 5000))  # someone else, while the bots hold their leases
        got = []
        for _ in range(10):
            pair = person.get("/api/pairs/next", params={"task_id": seeded["task_id"], "annotator": "real",
                                                         "exclude": ",".join(map(str, got))}).json()["pair"]
            assert pair is not None
            got.append(pair["id"])
        assert len(set(got)) == 10

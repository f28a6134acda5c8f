"""Annotators by invitation: a researcher's invite link signs a person in under a name; in an invite-only study
nobody else labels, and the invited name wins over whatever a page sends."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from labeler.config import AppConfig
from labeler.http.app import create_app
from tests.support.http_requests import label_body, tokens
from tests.support.synthetic import seed_data_dir

OWN = {"origin": "http://testserver"}


@pytest.fixture
def study(tmp_path):
    seeded = seed_data_dir(tmp_path, n_traj=6, per_traj=2, length=4)
    cfg = AppConfig(data_dir=tmp_path, bootstrap=False, ui=False, annotators="invite")
    with TestClient(create_app(cfg)) as client:
        yield client, seeded, cfg


def invite(client, cfg, name: str) -> str:
    r, _ = tokens(cfg)
    made = client.post("/api/session/invites", json={"name": name}, headers=r)
    assert made.status_code == 201 and made.json()["url"].startswith("/join#code=")
    return made.json()["url"].split("#code=")[1]


def test_only_invited_people_label_and_under_their_own_name(study):
    client, seeded, cfg = study
    task = seeded["task_id"]
    assert client.get("/api/status").json()["annotators"] == "invite"
    r = client.get("/api/pairs/next", params={"task_id": task, "annotator": "walk-in"})
    assert r.status_code == 403 and "invite" in r.json()["detail"]
    code = invite(client, cfg, "  Dana ")
    joined = client.post("/api/session", json={"code": code}, headers=OWN).json()
    assert {k: joined[k] for k in ("role", "name")} == {"role": "annotator", "name": "dana"}
    own = {**OWN, "x-pgt-proof": joined["proof"]}
    assert client.get("/api/session", headers=own).json() == {"role": "annotator", "name": "dana"}
    walk_in = client.get("/api/pairs/next", params={"task_id": task, "annotator": "dana"}, headers=OWN)
    assert walk_in.status_code == 403  # the invite's cookie without its proof is nobody's
    pair = client.get("/api/pairs/next", params={"task_id": task, "annotator": "someone-else"},
                      headers=own).json()["pair"]
    body = label_body(pair, "someone-else")
    stored = client.post("/api/labels", json=body, headers=own).json()["label"]
    assert stored["annotator"] == "dana"  # the invite decides who labelled
    assert client.get("/api/researcher/overview", headers=own).status_code == 403  # an annotator, nothing more
    assert client.post("/api/session", json={"code": code}).status_code == 403  # an invite works once


def test_researchers_issue_invites_and_open_studies_need_none(env):
    client, seeded, cfg = env
    assert client.post("/api/session/invites", json={"name": "x"}).status_code == 403
    r = client.get("/api/pairs/next", params={"task_id": seeded["task_id"], "annotator": "walk-in"})
    assert r.status_code == 200 and client.get("/api/status").json()["annotators"] == "open"
    assert client.post("/api/session/invites", json={"name": "bad\u200bname"},
                       headers=tokens(cfg)[0]).status_code == 422

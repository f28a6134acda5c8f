"""Who may reach what: annotators label; only the researcher token opens the researcher view and its
API; only the worker token runs the job protocol. In-process (TestClient), no worker, no rollouts."""
from __future__ import annotations

import stat

import pytest
from fastapi.testclient import TestClient

from labeler.auth import COOKIE, Tokens
from labeler.config import AppConfig
from labeler.server import create_app
from labeler.synthetic import seed_data_dir


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    data = tmp_path_factory.mktemp("roles")
    seeded = seed_data_dir(data, n_traj=4, per_traj=2, length=4)
    cfg = AppConfig(data_dir=data, bootstrap=False, ui=False)
    with TestClient(create_app(cfg)) as client:
        yield client, Tokens.load_or_create(data), {**seeded, "data": data}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


RESEARCHER_ROUTES = [("GET", "/api/researcher/overview"), ("GET", "/api/researcher/tasks/1"),
                     ("POST", "/api/researcher/tasks/1/rounds"), ("POST", "/api/researcher/rounds/1/promote"),
                     ("POST", "/api/researcher/tasks/1/rollback"), ("GET", "/api/researcher/worker-command")]
WORKER_ROUTES = [("POST", "/api/jobs/claim"), ("POST", "/api/jobs/1/heartbeat"), ("POST", "/api/jobs/1/complete"),
                 ("POST", "/api/jobs/1/fail"), ("PUT", "/api/jobs/1/artifacts/x.npz?worker=w")]


@pytest.mark.parametrize("method,path", RESEARCHER_ROUTES)
def test_researcher_api_is_closed_to_annotators_and_workers(env, method, path):
    client, tokens, _ = env
    assert client.request(method, path, json={}).status_code == 403  # an annotator: no token
    assert client.request(method, path, json={}, headers=bearer("guess")).status_code == 403
    assert client.request(method, path, json={}, headers=bearer(tokens.worker)).status_code == 403


@pytest.mark.parametrize("method,path", WORKER_ROUTES)
def test_worker_protocol_needs_the_worker_token(env, method, path):
    client, tokens, _ = env
    assert client.request(method, path, json={"worker": "w"}).status_code == 403
    assert client.request(method, path, json={"worker": "w"}, headers=bearer(tokens.researcher)).status_code == 403


def test_researcher_page_login_by_link_then_cookie(env):
    client, tokens, _ = env
    page = client.get("/researcher")
    assert page.status_code == 403 and "Researchers only" in page.text
    assert client.get("/researcher", params={"token": tokens.worker}).status_code == 403
    login = client.get("/researcher", params={"token": tokens.researcher}, follow_redirects=False)
    assert login.status_code == 303 and login.headers["location"] == "/researcher"
    cookie = login.headers["set-cookie"]
    assert COOKIE in cookie and "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
    client.cookies.set(COOKIE, tokens.researcher)
    page = client.get("/researcher")
    assert page.status_code == 200 and "researcher.js" in page.text
    assert client.get("/api/researcher/overview").status_code == 200
    client.cookies.clear()
    assert client.get("/api/researcher/overview").status_code == 403


def test_annotators_still_label_and_researcher_token_works(env):
    client, tokens, seeded = env
    tmp_path = seeded["data"]
    nxt = client.get("/api/pairs/next", params={"task_id": seeded["task_id"], "annotator": "ann"})
    assert nxt.status_code == 200 and nxt.json()["pair"] is not None
    ov = client.get("/api/researcher/overview", headers=bearer(tokens.researcher))
    assert ov.status_code == 200 and [t["name"] for t in ov.json()["tasks"]] == ["collect_wood"]
    assert client.post("/api/jobs/claim", json={"worker": "w"}, headers=bearer(tokens.worker)).json() == {"job": None}
    mode = stat.S_IMODE((tmp_path / "tokens.json").stat().st_mode)
    assert mode == 0o600, oct(mode)
    assert Tokens.load_or_create(tmp_path) == tokens  # stable across restarts

"""Who may reach what: annotators label; only the researcher token opens the researcher view and its
API; only the worker token runs the job protocol; every other /api route needs the token of the
role that calls it. In-process (TestClient), no worker, no rollouts."""
from __future__ import annotations

import re
import stat

import pytest
from fastapi.testclient import TestClient

from labeler.config import AppConfig
from labeler.files.tokens import Tokens
from labeler.http.app import create_app
from labeler.http.auth import COOKIE
from tests.support.synthetic import seed_data_dir


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
                 ("POST", "/api/jobs/1/fail"), ("PUT", "/api/jobs/1/artifacts/x.npz")]


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


def test_researcher_pages_show_the_login_page_to_everyone_else(env):
    client, tokens, _ = env
    for path in ("/researcher", "/quality"):
        page = client.get(path)
        assert page.status_code == 403 and "Login code" in page.text and "/static/login/main.js" in page.text
    assert client.get("/researcher", headers=bearer(tokens.worker)).status_code == 403
    assert client.get("/researcher", headers=bearer(tokens.researcher)).status_code == 200
    client.cookies.set(COOKIE, tokens.researcher)  # the long-lived token is no session id
    assert client.get("/researcher").status_code == 403
    client.cookies.clear()
    client.cookies.set(COOKIE, "x")
    assert client.get("/researcher", headers={"authorization": "Basic eDp4"}).status_code == 403
    client.cookies.clear()


def test_annotators_still_label_and_researcher_token_works(env):
    client, tokens, seeded = env
    tmp_path = seeded["data"]
    nxt = client.get("/api/pairs/next", params={"task_id": seeded["task_id"], "annotator": "ann"})
    assert nxt.status_code == 200 and nxt.json()["pair"] is not None
    ov = client.get("/api/researcher/overview", headers=bearer(tokens.researcher))
    assert ov.status_code == 200 and [t["name"] for t in ov.json()["tasks"]] == ["collect_wood"]
    claimed = client.post("/api/jobs/claim", json={"worker": "w"}, headers=bearer(tokens.worker)).json()
    assert claimed == {"job": None, "lease": None}
    mode = stat.S_IMODE((tmp_path / "tokens.json").stat().st_mode)
    assert mode == 0o600, oct(mode)
    assert Tokens.load_or_create(tmp_path) == tokens  # stable across restarts


# -- the general /api: annotators read only what the annotator view needs, and post labels -------------
ANNOTATOR_ROUTES = {("GET", "/api/status"), ("GET", "/api/tasks"), ("GET", "/api/tasks/{task_id}/progress"),
                    ("GET", "/api/pairs/next"), ("GET", "/api/videos/{name}"), ("POST", "/api/labels"),
                    ("GET", "/api/next"), ("POST", "/api/answers"), ("POST", "/api/undo"),
                    # logging in (a one-time code in), asking who one is, logging out
                    ("POST", "/api/session"), ("GET", "/api/session"), ("POST", "/api/session/logout")}
R, W = "researcher", "worker"
API_ROLES = [  # (method, path, json body, roles that may call it)
    ("POST", "/api/tasks", {}, {R}), ("POST", "/api/latents", {}, {R}),
    ("POST", "/api/pairs", {}, {R}), ("POST", "/api/jobs", {}, {R}),
    ("PUT", "/api/jobs/1/artifacts/roles-probe.npz", None, {W}), ("POST", "/api/jobs/1/trajectories", {}, {W}),
    ("GET", "/api/labels", None, {R, W}), ("GET", "/api/pairs?task_id=1", None, {R, W}),
    ("GET", "/api/pairs/1", None, {R, W}), ("GET", "/api/artifacts/syn-r1-0.npz", None, {R, W}),
    ("GET", "/api/trajectories?task_id=1", None, {R, W}), ("GET", "/api/trajectories/syn-r1-0", None, {R, W}),
    ("GET", "/api/latents/1", None, {R, W}), ("GET", "/api/tasks/1/latents", None, {R, W}),
    ("GET", "/api/tasks/1/rounds", None, {R, W}), ("GET", "/api/jobs", None, {R, W}),
    ("GET", "/api/jobs/1", None, {R, W}),
]


def _concrete(path: str) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: "x.npz" if m.group(1) == "name" else "1", path)


def test_every_api_route_but_the_annotators_needs_a_token(env):
    """Walks the app's OpenAPI schema, so a route added later without a role check fails here."""
    client, tokens, _ = env
    seen = set()
    spec = client.get("/openapi.json", headers=bearer(tokens.researcher)).json()
    for path, ops in spec["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method in ops:
            seen.add((method.upper(), path))
            if (method.upper(), path) in ANNOTATOR_ROUTES:
                continue
            r = client.request(method.upper(), _concrete(path), json={})
            assert r.status_code == 403, (method, path, r.status_code, r.text)
    assert ANNOTATOR_ROUTES <= seen and len(seen) > 40


def test_annotator_routes_need_no_token(env):
    client, _, seeded = env
    task = seeded["task_id"]
    assert client.get("/api/status").status_code == 200
    assert client.get("/api/tasks").status_code == 200
    assert client.get(f"/api/tasks/{task}/progress", params={"annotator": "ann2"}).status_code == 200
    pair = client.get("/api/pairs/next", params={"task_id": task, "annotator": "ann2"}).json()["pair"]
    assert client.get(pair["left"]["video_url"]).status_code == 200
    body = {"submission_id": "roles-label-1", "pair_id": pair["id"], "annotator": "ann2", "choice": "left",
            "left_traj": pair["left"]["id"], "right_traj": pair["right"]["id"]}
    assert client.post("/api/labels", json=body).status_code == 201
    assert client.post("/api/labels", json=body).status_code == 200  # a resend is still idempotent


@pytest.mark.parametrize("method,path,body,allowed", API_ROLES, ids=lambda v: v if isinstance(v, str) else "")
def test_api_routes_serve_their_roles_only(env, method, path, body, allowed):
    client, tokens, _ = env
    kw = {"json": body} if body is not None else {"content": b""}
    assert client.request(method, path, **kw).status_code == 403  # annotator
    for role, token in ((R, tokens.researcher), (W, tokens.worker)):
        status = client.request(method, path, headers=bearer(token), **kw).status_code
        assert (status != 403) == (role in allowed), (role, method, path, status)


def test_refused_writes_write_nothing(env):
    client, tokens, seeded = env
    before = client.get("/api/tasks").json()
    task = {"name": "sneaky", "achievement": "collect_wood", "max_steps": 10}
    assert client.post("/api/tasks", json=task).status_code == 403
    assert client.post("/api/tasks", json=task, headers=bearer(tokens.worker)).status_code == 403
    assert client.get("/api/tasks").json() == before
    assert client.put("/api/jobs/1/artifacts/sneaky.npz", content=b"x").status_code == 403
    assert client.put("/api/jobs/1/artifacts/sneaky.npz", content=b"x", headers=bearer(tokens.researcher)
                      ).status_code == 403
    assert not (seeded["data"] / "artifacts" / "sneaky.npz").exists()
    job = {"kind": "tune", "task_id": seeded["task_id"]}
    assert client.post("/api/jobs", json=job).status_code == 403
    assert client.get("/api/jobs", headers=bearer(tokens.researcher)).json() == []


def test_the_api_description_is_the_researchers(env):
    client, tokens, _ = env
    for path in ("/openapi.json", "/docs"):
        assert client.get(path).status_code == 403
        assert client.get(path, headers=bearer(tokens.worker)).status_code == 403
        assert client.get(path, headers=bearer(tokens.researcher)).status_code == 200


def test_the_data_directory_is_private(env):
    client, _, seeded = env
    data = seeded["data"]
    client.app.state.pgt.store.db.execute("CHECKPOINT")  # DuckDB makes a new write-ahead log on the next write
    pair = client.get("/api/pairs/next", params={"task_id": seeded["task_id"], "annotator": "p"}).json()["pair"]
    assert client.get(pair["left"]["video_url"]).status_code == 200
    body = {"submission_id": "private-label-1", "pair_id": pair["id"], "annotator": "p", "choice": "left",
            "left_traj": pair["left"]["id"], "right_traj": pair["right"]["id"]}
    assert client.post("/api/labels", json=body).status_code == 201
    video = data / "artifacts" / "videos" / f"{pair['left']['id']}.mp4"
    episode = data / "artifacts" / "trajectories" / f"{pair['left']['id']}.npz"  # written by the app's ingest
    modes = {p: stat.S_IMODE(p.stat().st_mode) for p in (
        data, data / "pgt.duckdb", data / "pgt.duckdb.wal", data / "tokens.json", data / "artifacts",
        data / "artifacts" / "videos", video, episode)}
    assert all(mode & 0o077 == 0 for mode in modes.values()), {str(p): oct(m) for p, m in modes.items()}

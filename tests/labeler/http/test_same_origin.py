"""A researcher's session cookie works only from the app's own pages; pages cannot be framed; Gradio's upload
is closed. (The real-browser version, with an attacker page on another port, is tests/browser/test_cross_site.py.)"""
from __future__ import annotations

import numpy as np
import pytest

from tests.support.http_requests import tokens

OWN = {"origin": "http://testserver", "sec-fetch-site": "same-origin"}


@pytest.fixture
def researcher(env):
    client, seeded, cfg = env
    r, _ = tokens(cfg)
    code = client.post("/api/session/links", headers=r).json()["url"].split("#code=")[1]
    assert client.post("/api/session", json={"code": code}, headers=OWN).status_code == 200
    store = client.app.state.pgt.store
    z0 = store.latents.add(seeded["task_id"], np.zeros(512), "prompt")
    z1 = store.latents.add(seeded["task_id"], np.ones(512), "tuned", parent_id=z0["id"])
    return client, seeded, z1


@pytest.mark.parametrize("headers", [
    {"origin": "http://127.0.0.1:9999"},                                      # a page on another port
    {"origin": "null"},                                                       # a sandboxed frame or file
    {"sec-fetch-site": "same-site", "sec-fetch-mode": "cors"},                # same site, other origin
    {"sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate"},           # a form posted from elsewhere
    {},                                                                       # no browser headers at all
])
def test_logged_in_changes_from_elsewhere_are_refused(researcher, headers):
    client, seeded, z1 = researcher
    r = client.post(f"/api/researcher/latents/{z1['id']}/promote", headers=headers)
    assert r.status_code == 403 and "page" in r.json()["detail"]
    made = client.post("/api/latents", json={"task_id": seeded["task_id"], "vector": [0.1] * 512}, headers=headers)
    assert made.status_code == 403
    assert client.app.state.pgt.library.active_id(seeded["task_id"]) != z1["id"]
    assert len(client.app.state.pgt.store.latents.list(seeded["task_id"])) == 2


def test_the_apps_own_pages_may(researcher):
    client, seeded, z1 = researcher
    r = client.post(f"/api/researcher/latents/{z1['id']}/promote", headers=OWN)
    assert r.status_code == 200 and r.json()["active_latent_id"] == z1["id"]


def test_logged_in_reads_from_another_site_are_refused_but_links_work(researcher):
    client, _, _ = researcher
    fetched = client.get("/api/researcher/worker-command", headers={"sec-fetch-site": "same-site",
                                                                     "sec-fetch-mode": "cors"})
    assert fetched.status_code == 403  # it holds the worker token
    assert client.get("/api/researcher/worker-command", headers={"origin": "http://evil.example"}).status_code == 403
    assert client.get("/researcher", headers={"sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate"}
                      ).status_code == 200
    assert client.get("/api/researcher/overview", headers=OWN).status_code == 200


def test_bearer_tokens_are_not_ambient_so_they_pass(env):
    client, seeded, cfg = env
    r, _ = tokens(cfg)
    made = client.post("/api/latents", json={"task_id": seeded["task_id"], "vector": [0.1] * 512},
                       headers={**r, "origin": "http://127.0.0.1:9999"})
    assert made.status_code == 201


def test_security_headers(env):
    client, _, _ = env
    for path in ("/annotate", "/login", "/api/status"):
        h = client.get(path).headers
        assert h["x-frame-options"] == "DENY" and h["referrer-policy"] == "no-referrer", path
        assert "frame-ancestors 'none'" in h["content-security-policy"]
    policy = client.get("/annotate").headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'self'" in policy


def test_gradio_upload_is_closed(tmp_path):
    import tempfile
    from pathlib import Path

    from fastapi.testclient import TestClient

    from labeler.config import AppConfig
    from labeler.http.app import create_app

    upload_dir = Path(tempfile.gettempdir()) / "gradio"
    files = lambda: {p for p in upload_dir.rglob("*") if p.is_file()} if upload_dir.exists() else set()
    before = files()  # Gradio makes empty folders of its own at start; an upload would leave a file
    with TestClient(create_app(AppConfig(data_dir=tmp_path, bootstrap=False, ui=True))) as client:
        for path in ("/gradio_api/upload", "/gradio_api/upload?upload_id=x", "/upload"):
            r = client.post(path, files={"files": ("x.txt", b"A" * 10_000)})
            assert r.status_code == 404, (path, r.status_code)
        assert client.get("/").status_code == 200  # the annotator page itself still works
    assert files() == before

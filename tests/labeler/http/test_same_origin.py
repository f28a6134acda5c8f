"""A researcher's session cookie works only from the app's own pages (even with the session's proof: the origin
check is defence in depth); pages cannot be framed; Gradio's upload is closed; the app answers only to its own
host names. (The real-browser version, with an attacker page on another port, is tests/browser/test_cross_site.py.)"""
from __future__ import annotations

import numpy as np
import pytest

from tests.support.http_requests import log_in, tokens

OWN = {"origin": "http://testserver", "sec-fetch-site": "same-origin"}


@pytest.fixture
def researcher(env):
    """(client, seeded, z1, proof): a logged-in researcher's client and the session's proof header."""
    client, seeded, cfg = env
    proof = {"x-pgt-proof": log_in(client, cfg)["x-pgt-proof"]}
    store = client.app.state.pgt.store
    z0 = store.latents.add(seeded["task_id"], np.zeros(512), "prompt")
    z1 = store.latents.add(seeded["task_id"], np.ones(512), "tuned", parent_id=z0["id"])
    return client, seeded, z1, proof


@pytest.mark.parametrize("headers", [
    {"origin": "http://127.0.0.1:9999"},                                      # a page on another port
    {"origin": "null"},                                                       # a sandboxed frame or file
    {"sec-fetch-site": "same-site", "sec-fetch-mode": "cors"},                # same site, other origin
    {"sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate"},           # a form posted from elsewhere
    {},                                                                       # no browser headers at all
    {"origin": "http://127.0.0.1:9999", "authorization": "Basic eDp4"},       # Gradio's CORS approves the header
    {"origin": "http://127.0.0.1:9999", "authorization": "Bearer guess"},     # a bearer token that is no token
])
def test_logged_in_changes_from_elsewhere_are_refused(researcher, headers):
    """Even were the page to know the session's proof: the origin check stands on its own."""
    client, seeded, z1, proof = researcher
    headers = {**headers, **proof}
    r = client.post(f"/api/researcher/latents/{z1['id']}/promote", headers=headers)
    assert r.status_code == 403 and "page" in r.json()["detail"]
    made = client.post("/api/latents", json={"task_id": seeded["task_id"], "vector": [0.1] * 512}, headers=headers)
    assert made.status_code == 403
    assert client.app.state.pgt.library.active_id(seeded["task_id"]) != z1["id"]
    assert len(client.app.state.pgt.store.latents.list(seeded["task_id"])) == 2


def test_the_apps_own_pages_may(researcher):
    client, seeded, z1, proof = researcher
    r = client.post(f"/api/researcher/latents/{z1['id']}/promote", headers={**OWN, **proof})
    assert r.status_code == 200 and r.json()["active_latent_id"] == z1["id"]
    # a form of our own pages: with `Referrer-Policy: no-referrer`, Chromium sends `Origin: null`
    own_form = {"origin": "null", "sec-fetch-site": "same-origin", "sec-fetch-mode": "navigate"}
    assert client.post("/logout", headers=own_form, follow_redirects=False).status_code == 303


def test_an_authorization_header_that_is_no_bearer_token_never_falls_back_to_the_cookie(researcher):
    client, seeded, _, proof = researcher
    for authorization in ("Basic eDp4", "Bearer guess", "Token x"):
        made = client.post("/api/latents", json={"task_id": seeded["task_id"], "vector": [0.1] * 512},
                           headers={**OWN, **proof, "authorization": authorization})
        assert made.status_code == 403, authorization
    assert len(client.app.state.pgt.store.latents.list(seeded["task_id"])) == 2


def test_logged_in_reads_from_another_site_are_refused_but_links_work(researcher):
    client, _, _, proof = researcher
    fetched = client.get("/api/researcher/worker-command", headers={"sec-fetch-site": "same-site",
                                                                     "sec-fetch-mode": "cors", **proof})
    assert fetched.status_code == 403  # it holds the worker token
    assert client.get("/api/researcher/worker-command", headers={"origin": "http://evil.example", **proof}
                      ).status_code == 403
    assert client.get("/researcher", headers={"sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate"}
                      ).status_code == 200
    assert client.get("/api/researcher/overview", headers={**OWN, **proof}).status_code == 200


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


def test_gradio_upload_is_closed_and_its_page_has_a_real_csp(tmp_path):
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
        page = client.get("/")  # the annotator page itself still works, under a CSP of its own
        assert page.status_code == 200
        scripts = page.headers["content-security-policy"].split("script-src ")[1].split(";")[0].split()
        assert scripts[0] == "'self'" and len(scripts) > 1
        assert all(s.startswith("'sha256-") for s in scripts[1:])  # its own inline scripts, nothing else inline
    assert files() == before


def test_the_app_answers_only_to_its_own_host_names(tmp_path):
    """DNS rebinding: an attacker's name that resolves to 127.0.0.1 reaches the port with its own name in Host."""
    from fastapi.testclient import TestClient

    from labeler.cli import config_from_args, parse_args
    from labeler.http.app import create_app

    args = parse_args(["--data-dir", str(tmp_path), "--port", "7861", "--no-ui", "--no-bootstrap", "--no-worker",
                       "--allowed-host", "studio.example.org"])
    with TestClient(create_app(config_from_args(args)), base_url="http://127.0.0.1:7861") as client:
        for host in ("127.0.0.1:7861", "localhost:7861", "[::1]:7861", "LOCALHOST:7861", "studio.example.org"):
            assert client.get("/api/status", headers={"host": host}).status_code == 200, host
        for host in ("rebound.attacker.example:7861", "127.0.0.1:7862", "localhost", "studio.example.org:7861",
                     "0.0.0.0:7861", ""):
            refused = client.get("/api/status", headers={"host": host})
            assert refused.status_code == 400 and "--allowed-host" in refused.json()["detail"], host
        assert client.post("/api/tasks", json={}, headers={"host": "rebound.attacker.example:7861"}).status_code == 400

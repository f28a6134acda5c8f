"""Researcher login: a one-time code becomes a server-side session; the cookie holds the session id, never a
token, and authenticates an API request only with the session's proof; logging out ends the session on the
server."""
from __future__ import annotations

import pytest

from labeler.http.auth import COOKIE
from tests.support.http_requests import log_in, tokens

SAME_ORIGIN = {"origin": "http://testserver"}


def new_code(client, cfg) -> str:
    r, _ = tokens(cfg)
    url = client.post("/api/session/links", headers=r).json()["url"]
    assert url.startswith("/login#code=")
    return url.split("#code=", 1)[1]


def test_a_code_opens_one_session_once(env):
    client, _, cfg = env
    code = new_code(client, cfg)
    opened = client.post("/api/session", json={"code": code})
    assert opened.json()["role"] == "researcher" and opened.headers["cache-control"] == "no-store"
    proof = opened.json()["proof"]
    sid = client.cookies.get(COOKIE)
    assert sid and proof and len({sid, proof, code, *tokens(cfg)[0].values()}) == 4
    assert client.get("/api/researcher/overview", headers={**SAME_ORIGIN, "x-pgt-proof": proof}).status_code == 200
    assert client.get("/researcher").status_code == 200
    client.cookies.clear()
    again = client.post("/api/session", json={"code": code})  # used up
    assert again.status_code == 403 and "used or expired" in again.json()["detail"]
    assert client.post("/api/session", json={"code": "made-up"}).status_code == 403


def test_the_cookie_alone_authenticates_no_api_request(env):
    """Cookies are not port-scoped: a server on another port of the host gets the cookie and replays it from a
    script that forges the app's Origin. Without the proof (kept in the app origin's localStorage) it is nobody."""
    client, seeded, cfg = env
    own = log_in(client, cfg)
    forged = {"origin": "http://testserver", "sec-fetch-site": "same-origin"}
    for method, path in (("GET", "/api/researcher/worker-command"), ("GET", "/api/researcher/overview"),
                         ("GET", "/api/export/labels.jsonl"), ("POST", "/api/session/links")):
        assert client.request(method, path, headers=forged).status_code == 403, path
        assert client.request(method, path, headers={**forged, "x-pgt-proof": "guess"}).status_code == 403, path
        assert client.request(method, path, headers={**forged, "x-pgt-proof": own["x-pgt-proof"]}
                              ).status_code in (200, 201), path
    assert client.get("/api/session", headers=forged).json()["role"] == "annotator"
    made = client.post("/api/latents", json={"task_id": seeded["task_id"], "vector": [0.1] * 512}, headers=forged)
    assert made.status_code == 403 and client.app.state.pgt.store.latents.list(seeded["task_id"]) == []
    assert client.get("/researcher").status_code == 200  # the page (no secret in it) still shows


def test_a_proof_belongs_to_its_own_session(env):
    client, _, cfg = env
    first = log_in(client, cfg)
    log_in(client, cfg)  # a second session: the client now holds its cookie
    assert client.get("/api/researcher/overview", headers=first).status_code == 403


def test_expired_codes_do_not_work(env):
    client, _, cfg = env
    code = client.app.state.pgt.store.sessions.new_code("researcher", ttl_s=-1)
    assert client.post("/api/session", json={"code": code}).status_code == 403


@pytest.mark.parametrize("how", ["api", "page"])
def test_logout_ends_the_session_on_the_server(env, how):
    client, _, cfg = env
    own = log_in(client, cfg)
    sid = client.cookies.get(COOKIE)
    assert client.get("/api/researcher/overview", headers=own).status_code == 200
    if how == "api":
        assert client.post("/api/session/logout", headers=own).json()["role"] == "annotator"
    else:  # the pages' "Log out" form
        out = client.post("/logout", headers=SAME_ORIGIN, follow_redirects=False)
        assert out.status_code == 303 and out.headers["location"] == "/"
    assert COOKIE not in client.cookies
    client.cookies.set(COOKIE, sid)  # someone kept a copy of the cookie, and of the proof
    assert client.get("/api/session", headers=own).json()["role"] == "annotator"
    assert client.get("/api/researcher/overview", headers=own).status_code == 403
    assert client.get("/researcher").status_code == 403  # the login page


def test_logout_is_a_post_from_the_apps_own_pages(env):
    client, _, cfg = env
    own = log_in(client, cfg)
    assert client.get("/logout").status_code == 405  # a link (or an <img> elsewhere) cannot log anyone out
    assert client.post("/logout", headers={"origin": "http://127.0.0.1:9999"}).status_code == 403
    assert client.get("/api/researcher/overview", headers=own).status_code == 200


def test_login_links_are_for_researchers(env):
    client, _, cfg = env
    _, w = tokens(cfg)
    assert client.post("/api/session/links").status_code == 403
    assert client.post("/api/session/links", headers=w).status_code == 403

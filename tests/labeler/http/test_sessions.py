"""Researcher login: a one-time code becomes a server-side session; the cookie holds the session id, never a
token; logging out ends the session on the server."""
from __future__ import annotations

from labeler.http.auth import COOKIE
from tests.support.http_requests import tokens

SAME_ORIGIN = {"origin": "http://testserver"}


def new_code(client, cfg) -> str:
    r, _ = tokens(cfg)
    url = client.post("/api/session/links", headers=r).json()["url"]
    assert url.startswith("/login#code=")
    return url.split("#code=", 1)[1]


def test_a_code_opens_one_session_once(env):
    client, _, cfg = env
    code = new_code(client, cfg)
    assert client.post("/api/session", json={"code": code}).json() ["role"] == "researcher"
    sid = client.cookies.get(COOKIE)
    assert sid and sid not in (code, *tokens(cfg)[0].values())
    assert client.get("/api/researcher/overview", headers=SAME_ORIGIN).status_code == 200
    assert client.get("/researcher").status_code == 200
    client.cookies.clear()
    again = client.post("/api/session", json={"code": code})  # used up
    assert again.status_code == 403 and "used or expired" in again.json()["detail"]
    assert client.post("/api/session", json={"code": "made-up"}).status_code == 403


def test_expired_codes_do_not_work(env):
    client, _, cfg = env
    code = client.app.state.pgt.store.sessions.new_code("researcher", ttl_s=-1)
    assert client.post("/api/session", json={"code": code}).status_code == 403


def test_logout_ends_the_session_on_the_server(env):
    client, _, cfg = env
    client.post("/api/session", json={"code": new_code(client, cfg)})
    sid = client.cookies.get(COOKIE)
    assert client.post("/api/session/logout", headers=SAME_ORIGIN).json()["role"] == "annotator"
    client.cookies.set(COOKIE, sid)  # someone kept a copy of the cookie
    assert client.get("/api/session").json()["role"] == "annotator"
    assert client.get("/api/researcher/overview", headers=SAME_ORIGIN).status_code == 403
    client.cookies.clear()
    client.post("/api/session", json={"code": new_code(client, cfg)})
    assert client.get("/logout", follow_redirects=False).status_code == 303  # the pages' plain link
    client.cookies.set(COOKIE, client.cookies.get(COOKIE) or "")
    assert client.get("/api/session").json()["role"] == "annotator"


def test_login_links_are_for_researchers(env):
    client, _, cfg = env
    _, w = tokens(cfg)
    assert client.post("/api/session/links").status_code == 403
    assert client.post("/api/session/links", headers=w).status_code == 403

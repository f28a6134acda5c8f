"""Bad input gets a clear 4xx, is never echoed back, and writes nothing."""
from __future__ import annotations

import asyncio
import json

import pytest

from tests.support.http_requests import label_body, next_pair, tokens


def test_a_lone_surrogate_is_a_422_not_a_crash(env):
    client, seeded, cfg = env
    pair = next_pair(client, seeded["task_id"], "ann")["pair"]
    for field in ("annotator", "submission_id"):
        body = {**label_body(pair, "ann"), field: "x\ud800" * 5}
        raw = json.dumps(body)  # ensure_ascii: the surrogate travels as the escape \\ud800
        r = client.post("/api/labels", content=raw, headers={"content-type": "application/json"})
        assert r.status_code == 422 and "surrogate" in r.json()["detail"], (field, r.text)
    _, w = tokens(cfg)
    r = client.post("/api/jobs/claim", content=json.dumps({"worker": "\udfff"}),
                    headers={**w, "content-type": "application/json"})
    assert r.status_code == 422
    assert client.get("/api/labels", headers=w).json() == []


def test_a_huge_json_body_is_refused_unread_and_not_echoed(env):
    client, seeded, _ = env
    huge = json.dumps({"submission_id": "x" * (50 * 1024 * 1024)})
    r = client.post("/api/labels", content=huge, headers={"content-type": "application/json"})
    assert r.status_code == 413 and len(r.content) < 500


@pytest.mark.parametrize("content_type", [b"text/plain", b"application/x-www-form-urlencoded", None])
def test_a_huge_body_of_any_kind_is_refused_while_it_arrives(content_type):
    """A route answers 422 to a body it cannot use only after reading it: whatever the body claims to be (or
    without a Content-Type), it is counted while it arrives and refused past the limit, unread beyond it."""
    from labeler.http.request_guard import MAX_BODY_BYTES, RequestGuard

    routed, received, sent = [], [], []

    async def route(scope, receive, send):
        routed.append(scope["path"])

    async def receive():  # 300 MB in 1 MiB chunks, chunked (no Content-Length to refuse it by)
        received.append(1)
        return {"type": "http.request", "body": b"x" * (1024 * 1024), "more_body": len(received) < 300}

    async def send(message):
        sent.append(message)

    headers = [(b"transfer-encoding", b"chunked")] + ([(b"content-type", content_type)] if content_type else [])
    scope = {"type": "http", "method": "POST", "path": "/api/labels", "headers": headers}
    asyncio.run(RequestGuard(route)(scope, receive, send))
    assert sent[0]["status"] == 413 and routed == []
    assert len(received) <= MAX_BODY_BYTES // (1024 * 1024) + 1


@pytest.mark.parametrize("content_type", ["text/plain", None])
def test_a_huge_body_of_any_kind_is_a_413_not_echoed(env, content_type):
    client, _, _ = env
    headers = {"content-type": content_type} if content_type else {}
    for body in (b"x" * (3 * 1024 * 1024), iter([b"x" * (1024 * 1024)] * 3)):  # declared, then chunked
        r = client.post("/api/labels", content=body, headers=headers)
        assert r.status_code == 413 and len(r.content) < 500


def test_validation_errors_name_the_field_without_echoing_the_input(env):
    client, seeded, _ = env
    pair = next_pair(client, seeded["task_id"], "ann")["pair"]
    secret = "s" * 5000
    r = client.post("/api/labels", json={**label_body(pair, "ann"), "submission_id": secret, "choice": "maybe"})
    assert r.status_code == 422
    fields = {tuple(e["loc"]) for e in r.json()["detail"]}
    assert ("body", "submission_id") in fields and ("body", "choice") in fields
    assert secret not in r.text and "input" not in r.text


def test_names_are_normalized_so_one_person_is_one_name(env):
    client, seeded, _ = env
    pair = next_pair(client, seeded["task_id"], "  Ann\u00a0Lee ")["pair"]
    first = client.post("/api/labels", json=label_body(pair, "  Ann\u00a0Lee "))
    assert first.status_code == 201 and first.json()["label"]["annotator"] == "ann lee"
    again = client.post("/api/labels", json=label_body(pair, "ANN LEE"))
    assert again.status_code == 409  # the same person, already labelled this pair
    invisible = ("ann\u200blee", "ann\x07", "ann\u3164", "\u3164", "ann\u2800", "a\u034fnn", "ann\ufe0f",
                 "ann\ue000", "ann\U000e0100", "ann\u00ad", "ann\u180e", "ann\uffa0", "ann\U000f0000")
    for bad in (*invisible, "", " " * 3, "a" * 65):
        r = client.get("/api/pairs/next", params={"task_id": seeded["task_id"], "annotator": bad})
        assert r.status_code == 422, repr(bad)
    progress = client.get(f"/api/tasks/{seeded['task_id']}/progress", params={"annotator": "ann lee"}).json()
    assert progress["done"] == 1

"""Guards every request passes before routing: a bounded JSON body, text that is valid Unicode.

Why a middleware: a 50 MB JSON body must be refused before it is parsed (and never echoed back in
an error), and a string with a lone UTF-16 surrogate ("\\ud800", legal in JSON, not in UTF-8) must
get a clear 422 instead of failing deep in the database write. Bodies that are not JSON (artifact
uploads) are left to their routes, which bound and stream them themselves.
"""
from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_JSON_BYTES = 2 * 1024 * 1024


def has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return any("\ud800" <= c <= "\udfff" for c in value)
    if isinstance(value, dict):
        return any(has_lone_surrogate(k) or has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_lone_surrogate(v) for v in value)
    return False


class RequestGuard:
    def __init__(self, app: ASGIApp, max_json_bytes: int = MAX_JSON_BYTES) -> None:
        self.app, self.max_json_bytes = app, max_json_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS") or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_json_bytes:
            await _refuse(send, 413, f"the JSON body is {int(declared)} bytes; the limit is {self.max_json_bytes}")
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > self.max_json_bytes:
                await _refuse(send, 413, f"the JSON body is larger than the limit of {self.max_json_bytes} bytes")
                return
            if not message.get("more_body", False):
                break
        try:
            if has_lone_surrogate(json.loads(body or b"null")):
                await _refuse(send, 422, "text must be valid Unicode (a lone UTF-16 surrogate such as \\ud800 "
                                         "is not a character)")
                return
        except (ValueError, RecursionError):
            pass  # not JSON: the route's own validation answers 422

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)


def _is_json(scope: Scope) -> bool:
    kind = dict(scope["headers"]).get(b"content-type", b"").split(b";")[0].strip().lower()
    return kind == b"application/json" or kind.endswith(b"+json")


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})

"""Guards every request passes before routing: a bounded body, text that is valid Unicode.

Why a middleware: a 50 MB body must be refused before it is read whole, let alone parsed (and never
echoed back in an error), whatever its Content-Type says, or none: a route answers 422 to a body it
cannot use only after reading it. So every body but an artifact upload's is counted while it arrives
and refused (413) past the limit. And a string with a lone UTF-16 surrogate ("\\ud800", legal in JSON,
not in UTF-8) must get a clear 422 instead of failing deep in the database write. Artifact uploads
(labeler.http.routers.jobs) bound and stream their bodies to disk themselves.
"""
from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from labeler.identifiers import has_lone_surrogate

MAX_BODY_BYTES = 2 * 1024 * 1024
UPLOADS = re.compile(r"^/api/jobs/\d+/artifacts/[^/]+$")


class RequestGuard:
    def __init__(self, app: ASGIApp, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.app, self.max_body_bytes = app, max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _has_body(scope) or (
                scope["method"] == "PUT" and UPLOADS.match(scope["path"])):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            await _refuse(send, 413, f"the body is {int(declared)} bytes; the limit is {self.max_body_bytes}")
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > self.max_body_bytes:
                await _refuse(send, 413, f"the body is larger than the limit of {self.max_body_bytes} bytes")
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


def _has_body(scope: Scope) -> bool:
    """HTTP/1.1: a request has a body only if it says how long it is or that it comes in chunks."""
    headers = dict(scope["headers"])
    return headers.get(b"content-length", b"0") not in (b"0", b"") or b"transfer-encoding" in headers


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})

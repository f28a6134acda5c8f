"""The Content-Security-Policy of the app's pages, and of the Gradio page at / (which Gradio writes, not us).

Our pages load scripts, styles, media and connections from the app itself only, and cannot be framed.
Gradio's page at / needs the same plus its own inline scripts (its configuration and a few lines of
start-up code, some of which name the request's address, so they change from one request to the next).
Rather than allow every inline script ('unsafe-inline'), the Gradio page's answer is read as it leaves
and its policy allows exactly the inline scripts it holds, by their SHA-256: a script injected into the
page by anyone else still does not run.
"""
from __future__ import annotations

import base64
import hashlib
import re
from typing import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

GRADIO_PAGE = "/"
MAX_PAGE_BYTES = 4 * 1024 * 1024
INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script\s*>", re.DOTALL | re.IGNORECASE)


def page_policy(script_hashes: Iterable[str] = ()) -> str:
    scripts = " ".join(["'self'", *(f"'sha256-{h}'" for h in script_hashes)])
    return (f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; font-src 'self' data:; "
            "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def inline_script_hashes(html: bytes) -> list[str]:
    """The CSP hash (base64 SHA-256) of each inline script's text, exactly as the browser reads it."""
    return [base64.b64encode(hashlib.sha256(m.group(1)).digest()).decode()
            for m in INLINE_SCRIPT.finditer(html)]


class GradioPagePolicy:
    """Gives the Gradio page at / a CSP allowing its own inline scripts and nothing else inline."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != GRADIO_PAGE or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body = bytearray()

        async def hold(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            body.extend(message.get("body", b""))
            if message.get("more_body", False) and len(body) <= MAX_PAGE_BYTES:
                return
            await send(_with_policy(start, bytes(body)))
            await send({**message, "body": bytes(body)})
            body.clear()
            start = None

        await self.app(scope, receive, hold)


def _with_policy(start: Message, body: bytes) -> Message:
    headers = [(k, v) for k, v in start.get("headers", [])]
    kind = dict((k.lower(), v) for k, v in headers).get(b"content-type", b"")
    if not kind.startswith(b"text/html") or any(k.lower() == b"content-security-policy" for k, _ in headers):
        return start
    policy = page_policy(inline_script_hashes(body)).encode()
    return {**start, "headers": [*headers, (b"content-security-policy", policy)]}

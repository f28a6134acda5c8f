"""Browser-facing protections every response gets: only the app's own pages may use a researcher's cookie,
pages cannot be framed or leak their address, and Gradio's file upload (which the UI does not use) is closed.

Same origin: a page on another port of 127.0.0.1 is the same *site* as the app, so a SameSite cookie
still travels with its requests. So a request that a session cookie authenticates (and no bearer token)
must come from the app's own pages: `Sec-Fetch-Site: same-origin`, or an `Origin` equal to the app's
own. State-changing requests without either header are refused too (browsers send them; scripts use
bearer tokens). Reads are refused when a browser says another site asked for them, except plain
navigations (following a link to /researcher).
"""
from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from labeler.http.auth import COOKIE

SAFE = ("GET", "HEAD", "OPTIONS")
HEADERS = [(b"x-frame-options", b"DENY"), (b"referrer-policy", b"no-referrer"),
           (b"x-content-type-options", b"nosniff"), (b"cross-origin-opener-policy", b"same-origin")]
FRAME_POLICY = b"frame-ancestors 'none'"
CLOSED_PREFIXES = ("/gradio_api/upload", "/upload")


def cross_site_reason(scope: Scope) -> str | None:
    """Why a cookie-authenticated request must be refused, or None when it comes from the app's own pages."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    if "authorization" in headers or f"{COOKIE}=" not in headers.get("cookie", ""):
        return None
    fetch_site, origin = headers.get("sec-fetch-site"), headers.get("origin")
    host = headers.get("host", "")
    own = f"{scope.get('scheme', 'http')}://{host}"
    if origin is not None and origin != own:
        return f"a page of {origin} may not act with this app's login"
    if fetch_site in ("cross-site", "same-site") and not (
            scope["method"] in SAFE and headers.get("sec-fetch-mode") == "navigate"):
        return "another site's page may not act with this app's login"
    if scope["method"] not in SAFE and origin is None and fetch_site not in ("same-origin",):
        return "a logged-in change must come from the app's own pages (no Origin or Sec-Fetch-Site header)"
    return None


class BrowserGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith(CLOSED_PREFIXES):
            await _answer(send, 404, "file upload is not offered here")
            return
        reason = cross_site_reason(scope)
        if reason is not None:
            await _answer(send, 403, reason)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in HEADERS if k not in present]
                if b"content-security-policy" not in present:
                    extra.append((b"content-security-policy", FRAME_POLICY))
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)


async def _answer(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *HEADERS, (b"content-security-policy", FRAME_POLICY)]})
    await send({"type": "http.response.body", "body": body})

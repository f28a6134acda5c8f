"""Browser-facing protections every response gets: only the app's own pages may use a session cookie, only
the app's own host names reach it, pages cannot be framed or leak their address, and Gradio's file upload
(which the UI does not use) is closed.

Same origin: a page on another port of 127.0.0.1 is the same *site* as the app, so a SameSite cookie
still travels with its requests. So a request that carries a session cookie (and no valid bearer token)
must come from the app's own pages: `Sec-Fetch-Site: same-origin`, or an `Origin` equal to the app's
own. State-changing requests without either header are refused too (browsers send them; scripts use
bearer tokens). Reads are refused when a browser says another site asked for them, except plain
navigations (following a link to /researcher). Any other Authorization header (`Basic ...`, a wrong
token) earns no exemption: Gradio's CORS lets pages of localhost origins send one. This is defence in
depth: an API request also needs the session's proof header (labeler.http.auth), which other origins
cannot read.

Host names: a page of an attacker's domain that resolves to 127.0.0.1 (DNS rebinding) is same-origin
with itself, not with the app, yet its requests reach the app's port. They carry the attacker's name
in `Host`, so the app answers only to its own names: the address it is bound to and the loopback
names with its port, plus what the operator allows for a proxy (`--allowed-host`).
"""
from __future__ import annotations

import json
from typing import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from labeler.files.tokens import ANNOTATOR, Tokens
from labeler.http.auth import COOKIE

SAFE = ("GET", "HEAD", "OPTIONS")
HEADERS = [(b"x-frame-options", b"DENY"), (b"referrer-policy", b"no-referrer"),
           (b"x-content-type-options", b"nosniff"), (b"cross-origin-opener-policy", b"same-origin")]
FRAME_POLICY = b"frame-ancestors 'none'"
CLOSED_PREFIXES = ("/gradio_api/upload", "/upload")
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
WILDCARD_BINDS = ("", "0.0.0.0", "::")


def app_hosts(bound: str, port: int, extra: Iterable[str] = ()) -> frozenset[str]:
    """The `Host` values the app answers to: its bound address and the loopback names with its port, and `extra`
    (e.g. a proxy's public name, given as `name` or `name:port`, compared as written)."""
    names = {f"[{bound}]" if ":" in bound else bound} - set(WILDCARD_BINDS) | set(LOOPBACK_NAMES)
    hosts = {f"{name}:{port}" for name in names}
    if port in (80, 443):  # browsers leave the default port out of Host
        hosts |= names
    return frozenset(h.lower() for h in (*hosts, *extra))


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def cross_site_reason(scope: Scope, tokens: Tokens) -> str | None:
    """Why a request with a session cookie must be refused, or None when it comes from the app's own pages."""
    headers = _headers(scope)
    authorization = headers.get("authorization", "")
    if authorization.lower().startswith("bearer ") and tokens.role_of(authorization[7:].strip()) != ANNOTATOR:
        return None  # a valid bearer token: a script, not ambient browser credentials
    if f"{COOKIE}=" not in headers.get("cookie", ""):
        return None
    fetch_site, origin = headers.get("sec-fetch-site"), headers.get("origin")
    own = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"
    if origin == "null" and fetch_site == "same-origin":
        origin = None  # a form our own page posts: `Referrer-Policy: no-referrer` makes browsers send "null"
    if origin is not None and origin != own:
        return f"a page of {origin} may not act with this app's login"
    if fetch_site in ("cross-site", "same-site") and not (
            scope["method"] in SAFE and headers.get("sec-fetch-mode") == "navigate"):
        return "another site's page may not act with this app's login"
    if scope["method"] not in SAFE and origin is None and fetch_site not in ("same-origin",):
        return "a logged-in change must come from the app's own pages (no Origin or Sec-Fetch-Site header)"
    return None


class BrowserGuard:
    """allowed_hosts: the `Host` values to answer (app_hosts); None answers any (an app no browser reaches, e.g.
    one driven in-process)."""

    def __init__(self, app: ASGIApp, tokens: Tokens, allowed_hosts: frozenset[str] | None = None) -> None:
        self.app, self.tokens, self.allowed_hosts = app, tokens, allowed_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = _headers(scope).get("host", "").lower()
        if self.allowed_hosts is not None and host not in self.allowed_hosts:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            await _answer(send, 400, f"this app does not answer to the host name {host[:100]!r}; behind a proxy, "
                                     "start it with --allowed-host NAME[:PORT]")
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith(CLOSED_PREFIXES):
            await _answer(send, 404, "file upload is not offered here")
            return
        reason = cross_site_reason(scope, self.tokens)
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

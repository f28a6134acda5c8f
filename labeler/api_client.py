"""A client of the app's HTTP API (the one every other process uses: workers, export, tests, benchmarks).

Why retries live here: a worker on a GPU machine outlives app restarts, so reporting calls retry
on 5xx and connection errors for `retry_for` seconds instead of throwing finished work away.
Errors come back as exceptions carrying the app's `{"detail": ...}` message.
"""
from __future__ import annotations

import time
from typing import Any

import httpx


class AppUnreachable(Exception):
    """The app did not answer (down, restarting, wrong URL)."""


class ApiError(RuntimeError):
    def __init__(self, status: int, detail: str, method: str = "", path: str = "") -> None:
        super().__init__(f"{method} {path} -> {status}: {detail}")
        self.status, self.detail = status, detail


class TokenRefused(ApiError):
    """403: the token is missing or wrong for this route."""


class ApiConflict(ApiError):
    """409: the request contradicts what the app holds (e.g. the job is no longer yours)."""


class ApiClient:
    def __init__(self, url: str, token: str | None = None, timeout: float = 60.0, retry_for: float = 0.0,
                 client: httpx.Client | None = None) -> None:
        """client: an httpx.Client to use instead of a new one (e.g. FastAPI's TestClient in tests)."""
        self.url = url.rstrip("/")
        self.retry_for = retry_for
        self.http = client if client is not None else httpx.Client(base_url=self.url, timeout=timeout)
        if token:
            self.http.headers["Authorization"] = f"Bearer {token}"

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str, retry: bool = True, **kwargs: Any) -> httpx.Response:
        """The response (any status); retries 5xx and transport errors while `retry_for` lasts."""
        deadline = time.monotonic() + (self.retry_for if retry else 0.0)
        delay = 0.5
        while True:
            try:
                resp = self.http.request(method, path, **kwargs)
                if resp.status_code < 500 or time.monotonic() >= deadline:
                    return resp
            except httpx.TransportError as exc:
                if time.monotonic() >= deadline:
                    raise AppUnreachable(f"{method} {self.url}{path}: {exc}") from exc
            time.sleep(delay)
            delay = min(delay * 2, 5.0)

    def call(self, method: str, path: str, retry: bool = True, **kwargs: Any) -> Any:
        """The decoded JSON body; raises ApiError (TokenRefused, ApiConflict) for 4xx/5xx."""
        return check(self.request(method, path, retry=retry, **kwargs))

    def get(self, path: str, **params: Any) -> Any:
        return self.call("GET", path, params={k: v for k, v in params.items() if v is not None})

    def post(self, path: str, body: Any = None, retry: bool = True) -> Any:
        return self.call("POST", path, retry=retry, json=body)


def check(resp: httpx.Response) -> Any:
    if resp.status_code < 400:
        return resp.json() if resp.content else None
    detail = resp.text
    if resp.headers.get("content-type", "").startswith("application/json"):
        body = resp.json()
        detail = body.get("detail", detail) if isinstance(body, dict) else detail
    kind = {403: TokenRefused, 409: ApiConflict}.get(resp.status_code, ApiError)
    raise kind(resp.status_code, str(detail), resp.request.method, resp.request.url.path)

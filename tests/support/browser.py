"""Headless Chromium via Playwright's Sync API on a thread of its own (see conftest.py for why)."""
from __future__ import annotations

import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--autoplay-policy=user-gesture-required"]  # the strict default: only muted autoplay may start


class BrowserThread:
    """A Playwright session and one Chromium on a dedicated thread; `run(fn)` calls fn there and waits."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="playwright")
        self._playwright: Any = None
        self.browser: Any = None

    def run(self, fn: Callable[..., Any], *args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        return self._pool.submit(fn, *args, **kwargs).result(timeout)

    def start(self) -> "BrowserThread":
        def launch() -> None:
            from playwright.sync_api import sync_playwright

            self._playwright = sync_playwright().start()
            self.browser = self._playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        self.run(launch, timeout=120)
        return self

    def close(self) -> None:
        def stop() -> None:
            try:
                if self.browser is not None:
                    self.browser.close()
            finally:
                if self._playwright is not None:
                    self._playwright.stop()

        try:
            self.run(stop, timeout=60)
        finally:
            self._pool.shutdown(wait=False)


def need_browser() -> None:
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian chromium not installed (bash scripts/setup.sh --test installs it); browser tests skipped")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("playwright (python) not installed; browser tests skipped")


# -- helpers for the tests' bodies (they run on the browser thread) ----------------------------

def wait_until(page: Any, check: Callable[[], Any], timeout_s: float = 15.0, what: str = "condition") -> Any:
    """Poll `check()` (on the browser thread, between Playwright calls) until it returns something truthy."""
    deadline = time.monotonic() + timeout_s
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}")
        page.wait_for_timeout(50)


VIDEO_STATE_JS = """vs => vs.map(v => ({t: v.currentTime, duration: v.duration, paused: v.paused, ended: v.ended,
    muted: v.muted, rate: v.playbackRate, ready: v.readyState, width: v.videoWidth}))"""


def video_states(videos: Any) -> list[dict[str, Any]]:
    """What each <video> matched by a locator is doing (time, paused, muted, rate, readiness), in one read."""
    return videos.evaluate_all(VIDEO_STATE_JS)


def out_of_sync(states: list[dict[str, Any]]) -> float:
    """How far (seconds) any video is from where the leader (the longest) says it should be: at the
    leader's time, or at its own end when its shorter episode is over."""
    lead = max(states, key=lambda s: s["duration"])
    return max(abs(s["t"] - min(lead["t"], s["duration"])) for s in states)


class Traffic:
    """What a page sent and got over the network, recorded as it happens (label, answer and undo POST bodies,
    the items /api/next and /api/pairs/next offered, and the query of every /api/next request)."""

    def __init__(self, page: Any) -> None:
        self.label_posts: list[dict[str, Any]] = []
        self.answer_posts: list[dict[str, Any]] = []
        self.undo_posts: list[dict[str, Any]] = []
        self.next_queries: list[dict[str, str]] = []
        self._pair_responses: list[Any] = []
        self._item_responses: list[Any] = []
        page.on("request", self._request)
        page.on("response", self._response)

    def _request(self, request: Any) -> None:
        path = urlsplit(request.url).path
        if request.method == "POST":
            posts = {"/api/labels": self.label_posts, "/api/answers": self.answer_posts, "/api/undo": self.undo_posts}
            if path in posts:
                posts[path].append(request.post_data_json)
        elif path == "/api/next":
            self.next_queries.append(dict(parse_qsl(urlsplit(request.url).query)))

    def _response(self, response: Any) -> None:
        if not response.ok:
            return
        path = urlsplit(response.url).path
        if path == "/api/pairs/next":
            self._pair_responses.append(response)
        elif path == "/api/next":
            self._item_responses.append(response)

    def items(self) -> dict[str, dict[str, Any]]:
        """Every item /api/next offered, by item id ("p3", "q7")."""
        out = {}
        for r in self._item_responses:
            item = r.json()["item"]
            if item:
                out[item["item"]] = item
        return out

    def pairs(self) -> dict[int, dict[str, Any]]:
        """Every pair the server offered (by /api/next or /api/pairs/next), by id."""
        out = {item["id"]: item for item in self.items().values() if item["kind"] == "pair"}
        for r in self._pair_responses:
            pair = r.json()["pair"]
            if pair:
                out[pair["id"]] = pair
        return out

    @staticmethod
    def _once(posts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        seen: dict[str, dict[str, Any]] = {}
        for body in posts:
            seen.setdefault(body["submission_id"], body)
        return list(seen.values())

    def labels(self) -> list[dict[str, Any]]:
        """The labels sent, once each (a retry repeats its submission id), in order."""
        return self._once(self.label_posts)

    def answers(self) -> list[dict[str, Any]]:
        """The answers to questions sent, once each, in order."""
        return self._once(self.answer_posts)

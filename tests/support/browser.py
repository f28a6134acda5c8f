"""Headless Chromium via Playwright's Sync API on a thread of its own (see conftest.py for why)."""
from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

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

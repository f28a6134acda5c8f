"""Shared fixtures: one headless Chromium for the whole test session, driven from a thread of its own.

Why a thread of its own: Playwright's Sync API refuses to start in a thread where an asyncio
event loop counts as running ("It looks like you are using Playwright Sync API inside the
asyncio loop"), and while a sync session is alive it marks its own loop as running in the
thread that drives it, between calls too. With each browser test file starting its own
session in the main thread, the second start could meet the first session's loop (or any
loop another test left set in the main thread) and fail, depending on what ran before. Here
exactly one Playwright session exists per test run, it lives on the `BrowserThread`, and
every Playwright call is made there: tests that use the `browser` fixture run their body on
that thread (see `pytest_pyfunc_call`), and fixtures that open pages do so with
`browser_thread.run(...)`. The main thread's asyncio state never touches Playwright's, either way.
"""
from __future__ import annotations

import inspect

import pytest

from tests.support.browser import BrowserThread, need_browser


@pytest.fixture(scope="session")
def browser_thread():
    need_browser()
    bt = BrowserThread().start()
    try:
        yield bt
    finally:
        bt.close()


@pytest.fixture(scope="session")
def browser(browser_thread):
    """The session's Chromium (a Playwright `Browser`): usable only on `browser_thread`, where tests
    that request it run anyway. Open a page per test (`browser.new_page()` is a fresh context)."""
    return browser_thread.browser


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run the body of every test that uses the browser on the browser's thread."""
    if "browser_thread" not in pyfuncitem.fixturenames:
        return None
    bt: BrowserThread = pyfuncitem.funcargs["browser_thread"]
    params = inspect.signature(pyfuncitem.obj).parameters.values()
    args = {p.name: pyfuncitem.funcargs[p.name] for p in params if p.default is p.empty}
    bt.run(pyfuncitem.obj, **args)
    return True

"""End to end: the real app in a child process, driven by headless Debian Chromium via Playwright.

Labels 5 pairs with keys and clicks (plus a skip), checks the shared player and the
< 100 ms pair switch, then stops the app and reads the rows back from DuckDB.
Set PGT_SCREENSHOT=path.png to save a screenshot of the annotator view.
"""
from __future__ import annotations

import asyncio
import os
import signal

import pytest

from labeler.config import AppConfig
from labeler.db.store import Store
from tests.support.app_process import AppProcess
from tests.support.browser import BrowserThread, need_browser
from tests.support.synthetic import seed_data_dir

pytestmark = pytest.mark.browser
# `browser` and `browser_thread` come from conftest.py: one Chromium for the run, on its own thread,
# where the bodies of these tests run too.


def open_annotator(browser, url: str) -> tuple[object, list[str]]:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, bypass_csp=True)  # wait_for_function evals
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url + "/")
    page.wait_for_selector("[data-testid=pgt-name]", timeout=30_000)
    page.fill("[data-testid=pgt-name]", "tester")
    page.press("[data-testid=pgt-name]", "Enter")
    wait_for_pair(page)
    return page, errors


@pytest.fixture(scope="module")
def session(browser_thread, tmp_path_factory):
    data = tmp_path_factory.mktemp("app")
    seeded = seed_data_dir(data, n_traj=8, per_traj=2, length=16)
    app = AppProcess(data, ["--no-bootstrap", "--no-worker", "--labels-per-pair", "1"]).start()
    page = None
    try:
        page, errors = browser_thread.run(open_annotator, browser_thread.browser, app.url)
        yield {"app": app, "page": page, "data": data, "seeded": seeded, "errors": errors}
    finally:
        if page is not None:
            browser_thread.run(page.close)
        app.stop()


def wait_for_pair(page, not_id=None):
    page.wait_for_function(
        """(notId) => { const a = window.pgtAnnotator; return a && a.view.pair && a.view.loaded
                        && a.view.pair.id !== notId; }""", arg=not_id, timeout=15_000)


def wait_prefetched(page):
    page.wait_for_function("() => { const a = window.pgtAnnotator; return a.nextPair && a.spare.loaded; }",
                           timeout=15_000)


def videos(page):
    return page.evaluate("""() => window.pgtAnnotator.videos().map(v => ({
        t: v.currentTime, paused: v.paused, muted: v.muted, rate: v.playbackRate, ready: v.readyState }))""")


def test_muted_autoplay_and_one_shared_control(session):
    page = session["page"]
    page.wait_for_function("() => window.pgtAnnotator.videos().every(v => !v.paused)", timeout=10_000)
    assert all(v["muted"] and not v["paused"] and v["ready"] >= 2 for v in videos(page))

    page.click("[data-testid=pgt-play]")  # pause both
    assert all(v["paused"] for v in videos(page))
    page.eval_on_selector("[data-testid=pgt-scrub]", "el => { el.value = 5; el.dispatchEvent(new Event('input')); }")
    page.keyboard.press(".")  # one frame forward
    page.wait_for_timeout(100)
    ts = [v["t"] for v in videos(page)]
    assert ts[0] == pytest.approx(0.65, abs=0.02) and ts[1] == pytest.approx(0.65, abs=0.02)
    assert page.inner_text("[data-testid=pgt-frame]").startswith("step 6 /")
    page.select_option("[data-testid=pgt-speed]", "2")
    assert [v["rate"] for v in videos(page)] == [2, 2]
    page.keyboard.press(" ")  # play both again
    page.wait_for_function("() => window.pgtAnnotator.videos().every(v => !v.paused)", timeout=5_000)
    page.wait_for_timeout(300)
    a, b = videos(page)
    assert abs(a["t"] - b["t"]) < 0.15, "the two videos drifted apart"
    assert not session["errors"], session["errors"]


def test_label_five_pairs_with_keys_and_clicks(session):
    page, app = session["page"], session["app"]
    actions = [("key", "ArrowLeft", "left"), ("click", "right", "right"), ("key", "ArrowUp", "both_bad"),
               ("click", "tie", "tie"), ("key", "ArrowDown", "tie"), ("key", "s", "skip")]
    shown = []
    for how, what, choice in actions:
        wait_prefetched(page)
        pair = page.evaluate("""() => { const p = window.pgtAnnotator.view.pair;
                                       return {id: p.id, left: p.left.id, right: p.right.id}; }""")
        if how == "key":
            page.keyboard.press(what)
        else:
            page.click(f"[data-testid=pgt-choice-{what}]")
        if len(shown) < 5:
            wait_for_pair(page, pair["id"])
            swap = page.evaluate("() => window.pgtAnnotator.lastSwap")
            assert swap["ready"] and swap["ms"] < 100, f"next pair took {swap['ms']:.0f} ms"
        shown.append({**pair, "choice": choice})
    page.wait_for_selector("[data-testid=pgt-sync][data-pending='0']", timeout=10_000)
    assert page.inner_text("[data-testid=pgt-progress]").startswith("6 / 8")
    if os.environ.get("PGT_SCREENSHOT"):
        wait_for_pair(page)
        page.wait_for_timeout(1200)
        page.screenshot(path=os.environ["PGT_SCREENSHOT"])
    assert not session["errors"], session["errors"]

    # clean shutdown (uvicorn re-raises SIGTERM after it, hence -15); the store checkpointed
    assert app.stop() in (0, -signal.SIGTERM), app.log()
    db_path = AppConfig(data_dir=session["data"]).db_path
    assert not db_path.with_name(db_path.name + ".wal").exists()
    with Store(db_path) as store:
        rows = store.labels.list()
    assert len(rows) == 6 and len({r["pair_id"] for r in rows}) == 6
    by_pair = {r["pair_id"]: r for r in rows}
    for s in shown:
        row = by_pair[s["id"]]
        assert (row["annotator"], row["choice"]) == ("tester", s["choice"])
        assert (row["left_traj"], row["right_traj"]) == (s["left"], s["right"])  # order as shown
        assert row["preferred"] == {"left": s["left"], "right": s["right"]}.get(s["choice"])
        assert row["time_spent_ms"] > 0 and row["created_at"]


def test_first_start_shows_a_progress_bar_then_pairs(browser, tmp_path):
    """A fresh data dir: the default task is rolled out in the background while the page shows progress."""
    args = ["--bootstrap-episodes", "6", "--no-worker", "--checkpoint", str(tmp_path / "missing.pt")]
    with AppProcess(tmp_path / "data", args) as app:
        page = browser.new_page(bypass_csp=True)
        try:
            page.goto(app.url + "/?annotator=first")
            page.wait_for_selector("[data-testid=pgt-bootstrap]:not([hidden])", timeout=30_000)
            assert "episodes" in page.inner_text("[data-testid=pgt-bootstrap]").lower()
            wait_for_pair(page)
            assert page.evaluate("() => window.pgtAnnotator.sawBootstrap")
            assert page.is_hidden("[data-testid=pgt-bootstrap]")
            assert page.inner_text("[data-testid=pgt-progress]").endswith("/ 12 labelled")
        finally:
            page.close()


def test_browser_tests_leave_no_running_loop_in_the_main_thread():
    """Runs in the main thread right after the browser tests above: their Playwright session lives on
    its own thread, so nothing here looks like "inside an asyncio loop" to the tests that follow."""
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()


@pytest.fixture
def loop_left_in_main_thread():
    """What made browser tests flaky: an asyncio loop registered as running in the main thread when
    Playwright starts (left there by another live Sync API session, or by any other code)."""
    loop = asyncio.new_event_loop()
    asyncio._set_running_loop(loop)
    try:
        yield loop
    finally:
        asyncio._set_running_loop(None)
        loop.close()


def test_a_browser_starts_whatever_asyncio_state_the_main_thread_has(loop_left_in_main_thread):
    need_browser()
    bt = BrowserThread().start()  # a second session beside the shared one, as two test files used to have
    try:
        def visit() -> str:
            page = bt.browser.new_page(bypass_csp=True)
            page.set_content("<p id=x>ok</p>")
            return page.inner_text("#x")

        assert bt.run(visit, timeout=60) == "ok"
    finally:
        bt.close()

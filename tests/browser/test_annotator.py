"""End to end: the real app in a child process, driven by headless Debian Chromium via Playwright.

The page is found the way a person finds it (roles, labels, visible text). Labels 5 pairs with keys
and clicks (plus a skip), checks the shared player and that the next pair is already decoded before
each key press and comes on screen with the network down, then stops the app and reads the rows back
from DuckDB. How fast the switch is belongs in
a benchmark, not here. Set PGT_SCREENSHOT=path.png to save a screenshot of the annotator view.
"""
from __future__ import annotations

import asyncio
import os
import re
import signal

import pytest
from playwright.sync_api import expect

from labeler.config import AppConfig
from labeler.db.store import Store
from tests.support.app_process import AppProcess
from tests.support.browser import BrowserThread, Traffic, need_browser, out_of_sync, video_states, wait_until
from tests.support.synthetic import seed_data_dir

pytestmark = pytest.mark.browser
# `browser` and `browser_thread` come from conftest.py: one Chromium for the run, on its own thread,
# where the bodies of these tests run too.

ONE_FRAME_S = 0.1  # the app encodes 10 frames per second


def on_screen(page):
    """The two videos a person sees (the prefetched pair is hidden, so roles do not find it)."""
    return page.get_by_role("figure", name=re.compile(r"^(Left|Right) episode$")).locator("video")


def choice(page, name: str):
    return page.get_by_role("button", name=name, exact=True)


def sync_status(page):
    return page.get_by_role("status", name="Answer sync")


def hidden_videos_ready(page):
    """The prefetched pair: video elements out of sight that have decoded a frame (readyState >= 2)."""
    handles = [v for v in page.locator("video").element_handles() if not v.is_visible()]
    if len(handles) == 2 and all(v.evaluate("v => v.readyState >= 2") for v in handles):
        return handles
    return None


def open_annotator(browser, url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    traffic = Traffic(page)
    page.goto(url + "/")
    expect(page.get_by_text("Enter your name (top left) to start.")).to_be_visible(timeout=30_000)
    name = page.get_by_label("Annotator")
    name.fill("tester")
    name.press("Enter")
    instructions = page.get_by_role("dialog", name="Instructions")  # before the first answer of the task
    expect(instructions).to_be_visible(timeout=15_000)
    instructions.get_by_role("button", name="Got it").click()
    expect(instructions).to_be_hidden()
    expect(choice(page, "Left is better")).to_be_enabled(timeout=15_000)
    return page, errors, traffic


@pytest.fixture(scope="module")
def session(browser_thread, tmp_path_factory):
    data = tmp_path_factory.mktemp("app")
    seeded = seed_data_dir(data, n_traj=8, per_traj=2, length=16)
    app = AppProcess(data, ["--no-bootstrap", "--no-worker", "--labels-per-pair", "1"]).start()
    page = None
    try:
        page, errors, traffic = browser_thread.run(open_annotator, browser_thread.browser, app.url)
        yield {"app": app, "page": page, "data": data, "seeded": seeded, "errors": errors, "traffic": traffic}
    finally:
        if page is not None:
            browser_thread.run(page.close)
        app.stop()


def test_muted_autoplay_and_one_shared_control(session):
    page = session["page"]
    videos = on_screen(page)
    expect(videos).to_have_count(2)
    wait_until(page, lambda: all(not v["paused"] for v in video_states(videos)), what="both videos playing")
    assert all(v["muted"] and v["ready"] >= 2 for v in video_states(videos))

    page.get_by_role("button", name="Pause").click()  # one button pauses both
    assert all(v["paused"] for v in video_states(videos))
    page.get_by_role("slider", name="Position").fill("5")
    page.keyboard.press(".")  # one frame forward
    expect(page.get_by_role("status", name="Step")).to_have_text(re.compile(r"^step 6 / 16$"))
    for v in video_states(videos):
        assert v["t"] == pytest.approx(0.65, abs=0.02)  # the middle of frame 6, both
    page.keyboard.press(",")
    expect(page.get_by_role("status", name="Step")).to_have_text(re.compile(r"^step 5 / 16$"))
    page.get_by_label("Speed").select_option("2")
    assert [v["rate"] for v in video_states(videos)] == [2, 2]
    page.keyboard.press(" ")  # play both again
    wait_until(page, lambda: all(not v["paused"] for v in video_states(videos)), what="both videos playing again")
    expect(page.get_by_role("button", name="Pause")).to_be_visible()
    for _ in range(6):
        page.wait_for_timeout(150)
        assert out_of_sync(video_states(videos)) <= ONE_FRAME_S, "the two videos drifted apart"
    page.get_by_label("Speed").select_option("1")
    assert not session["errors"], session["errors"]


def test_label_five_pairs_with_keys_and_clicks(session):
    """Every key press or click shows the next pair with the network down: it was fetched and decoded
    while the previous one was on screen, and the label waits in the browser's queue until the
    network is back."""
    page, traffic = session["page"], session["traffic"]
    actions = [("key", "ArrowLeft", "left"), ("click", "Right is better", "right"), ("key", "ArrowUp", "both_bad"),
               ("click", "Tie", "tie"), ("key", "ArrowDown", "tie"), ("key", "s", "skip")]
    for i, (how, what, _choice) in enumerate(actions):
        prefetched = wait_until(page, lambda: hidden_videos_ready(page), what="the next pair decoded in advance")
        page.context.set_offline(True)
        if how == "key":
            page.keyboard.press(what)
        else:
            choice(page, what).click()
        # the videos that were hidden and decoded are the ones on screen now, with no network at all
        wait_until(page, lambda shown=prefetched: all(v.is_visible() for v in shown), what="the prefetched pair shown")
        wait_until(page, lambda shown=prefetched: all(v.evaluate("v => v.readyState >= 2 && v.muted && !v.paused")
                                                      for v in shown), what="the prefetched pair playing offline")
        expect(choice(page, "Left is better")).to_be_enabled()
        if i == 0:
            expect(sync_status(page)).to_have_text(re.compile(r"^saving \d+…$"))
        page.context.set_offline(False)
    expect(sync_status(page)).to_have_text("all answers saved ✓", timeout=30_000)
    expect(page.get_by_role("status", name="Your count")).to_have_text("5 answered · 0 min")  # the skip is no answer

    offered = traffic.pairs()
    labels = traffic.labels()
    assert [lb["choice"] for lb in labels] == [c for _, _, c in actions]
    assert len({lb["pair_id"] for lb in labels}) == len(actions)
    for lb in labels:  # each label names the pair and its sides as the server sent them
        pair = offered[lb["pair_id"]]
        assert (lb["left_traj"], lb["right_traj"]) == (pair["left"]["id"], pair["right"]["id"])
        assert lb["annotator"] == "tester" and lb["playback_rate"] == 1

    if os.environ.get("PGT_SCREENSHOT"):
        page.wait_for_timeout(1200)
        page.screenshot(path=os.environ["PGT_SCREENSHOT"])
    assert not session["errors"], session["errors"]

    # clean shutdown (uvicorn re-raises SIGTERM after it, hence -15); the store checkpointed
    app = session["app"]
    assert app.stop() in (0, -signal.SIGTERM), app.log()
    db_path = AppConfig(data_dir=session["data"]).db_path
    assert not db_path.with_name(db_path.name + ".wal").exists()
    with Store(db_path) as store:
        rows = store.labels.list()
    assert len(rows) == 6 and len({r["pair_id"] for r in rows}) == 6
    by_pair = {r["pair_id"]: r for r in rows}
    for lb in labels:
        row = by_pair[lb["pair_id"]]
        assert (row["annotator"], row["choice"]) == ("tester", lb["choice"])
        assert (row["left_traj"], row["right_traj"]) == (lb["left_traj"], lb["right_traj"])  # order as shown
        assert row["preferred"] == {"left": lb["left_traj"], "right": lb["right_traj"]}.get(lb["choice"])
        assert row["time_spent_ms"] > 0 and row["created_at"]


def test_first_start_shows_a_progress_bar_then_pairs(browser, tmp_path):
    """A fresh data dir: the default task is rolled out in the background while the page shows progress."""
    args = ["--bootstrap-episodes", "6", "--no-worker", "--checkpoint", str(tmp_path / "missing.pt")]
    with AppProcess(tmp_path / "data", args) as app:
        page = browser.new_page()
        try:
            page.goto(app.url + "/?annotator=first")
            preparing = page.get_by_role("region", name="Preparing episodes")
            expect(preparing).to_be_visible(timeout=30_000)
            expect(preparing).to_contain_text("episodes")
            expect(page.get_by_role("progressbar", name="Preparing episodes")).to_be_visible()
            expect(choice(page, "Left is better")).to_be_enabled(timeout=120_000)
            expect(preparing).to_be_hidden()
            expect(page.get_by_role("status", name="Your count")).to_have_text("0 answered · 0 min")
            expect(page.get_by_label("Annotator")).to_have_value("first")
        finally:
            page.close()


def test_browser_tests_leave_no_running_loop_in_the_main_thread():
    """Runs in the main thread right after the browser tests above: their Playwright session lives on
    its own thread, so nothing here looks like "inside an asyncio loop" to the tests that follow."""
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()


def test_a_browser_starts_inside_a_running_asyncio_loop():
    """What made browser tests flaky: an asyncio loop running in the main thread when Playwright starts (left
    there by another live Sync API session, or by any other code). A second session beside the shared one starts
    from inside a running loop and still works."""
    need_browser()

    async def inside_a_loop() -> str:
        asyncio.get_running_loop()  # the state that Playwright's Sync API refuses in its own thread
        bt = BrowserThread().start()
        try:
            def visit() -> str:
                page = bt.browser.new_page()
                page.set_content("<p id=x>ok</p>")
                return page.inner_text("#x")

            return bt.run(visit, timeout=60)
        finally:
            bt.close()

    assert asyncio.run(inside_a_loop()) == "ok"

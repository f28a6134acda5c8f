"""The annotator page in its three modes, end to end: the real app in a child process, headless Debian Chromium.

Tasks are custom-named and blind by default (their achievement is collect_wood and their description says so,
but annotators must never see either). One task per mode keeps what is on screen deterministic:
- forest_errand: one episode at a time (graded), blind
- meadow_survey: best of 4, blind
- hill_pairs: pairwise, blind (narrow screens, error notices, two tabs)
- river_walk: pairwise with hints on (outcome marks and why an episode ended)
The last test stops the app and reads the rows back from DuckDB, so it stays last.
"""
from __future__ import annotations

import json
import re
import signal
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
from playwright.sync_api import expect

from labeler.config import AppConfig
from labeler.db.store import Store
from labeler.domain.ingest import ingest_trajectory
from labeler.files.artifacts import Artifacts
from labeler.files.tokens import Tokens
from tests.support.app_process import AppProcess
from tests.support.browser import Traffic, video_states, wait_until
from tests.support.synthetic import synthetic_trajectory

pytestmark = pytest.mark.browser

MAX_STEPS = 16
INSTRUCTIONS = ("Judge which agent keeps busy and makes steady progress.\n\n"
                "Skip an item when the video does not play.")
# the achievement, the success mark, the word, and why an episode ended (outcome notes come with hints only)
BLIND_WORDS = ("wood", "★", "success", "died", "time limit")


def seed(data_dir: Path) -> dict[str, Any]:
    """Four tasks (see the module docstring); episodes alternate full-length (16) and early-ending (10) ones."""
    cfg = AppConfig(data_dir=data_dir)
    out: dict[str, Any] = {}
    with Store(cfg.db_path) as store:
        artifacts = Artifacts(cfg.artifact_dir)

        def task(name: str, n: int, hints: bool = False) -> tuple[int, int | None, list[str]]:
            row = store.tasks.create(name, "collect_wood", MAX_STEPS, "Collect wood from trees.", hints=hints,
                                     instructions=INSTRUCTIONS)
            rnd = store.rounds.create(row["id"])
            ids, s = [], len(out) * 1000
            while len(ids) < n:
                length = MAX_STEPS if len(ids) % 2 == 0 else 10
                traj = synthetic_trajectory(s, length, "collect_wood")
                s += 1
                if hints and len(ids) == 0 and not traj.events:
                    continue  # the hinted pair has a successful episode, so a success mark is due
                tid = f"{name}-{len(ids)}"
                ingest_trajectory(store, artifacts, traj, tid, row, rnd["id"])
                ids.append(tid)
            return row["id"], rnd["id"], ids

        tid, rid, ids = task("forest_errand", 3)
        store.questions.add(tid, "per_episode", [[i] for i in ids], round_id=rid)
        out["grading"] = tid
        tid, rid, ids = task("meadow_survey", 8)
        store.questions.add(tid, "best_of_k", [ids[:4], ids[4:]], round_id=rid)
        out["ranking"] = tid
        tid, rid, ids = task("hill_pairs", 6)
        store.pairs.add(tid, [(a, b) for a in ids for b in ids if a < b][:8], rid, source="synthetic")
        out["pairs"] = tid
        tid, rid, ids = task("river_walk", 2, hints=True)
        store.pairs.add(tid, [(ids[0], ids[1])], rid, source="synthetic")
        out["hinted"] = tid
    return out


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    data = tmp_path_factory.mktemp("modes")
    tasks = seed(data)
    app = AppProcess(data, ["--no-bootstrap", "--no-worker", "--no-ui", "--labels-per-pair", "5"]).start()
    try:
        yield {"app": app, "data": data, "tasks": tasks}
    finally:
        app.stop()


def open_page(browser, studio, task: str, annotator: str, *, viewport=(1280, 900), context=None):
    page = (context or browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    traffic = Traffic(page)
    page.goto(f"{studio['app'].url}/annotate?task={studio['tasks'][task]}&annotator={annotator}")
    return page, traffic, errors


def instructions(page):
    return page.get_by_role("dialog", name="Instructions")


def dismiss_instructions(page):
    expect(instructions(page)).to_be_visible(timeout=15_000)
    instructions(page).get_by_role("button", name="Got it").click()
    expect(instructions(page)).to_be_hidden()


def on_screen(page, names: str):
    """The videos a person sees (the prefetched item is hidden, so roles do not find it)."""
    return page.get_by_role("figure", name=re.compile(names)).locator("video")


def wait_playing(page, videos, n: int):
    """n videos on screen and playing, and the item's buttons live (they are off while the next item loads)."""
    expect(page.get_by_role("button", name="Skip")).to_be_enabled(timeout=15_000)
    expect(videos).to_have_count(n, timeout=15_000)
    wait_until(page, lambda: all(v["ready"] >= 2 and not v["paused"] for v in video_states(videos)),
               what=f"{n} videos playing")


def count(page):
    return page.get_by_role("status", name="Your count")


def saved(page):
    expect(page.get_by_role("status", name="Answer sync")).to_have_text("all answers saved ✓", timeout=15_000)


def assert_blind(page):
    html = page.content().lower()
    text = page.evaluate("document.body.innerText").lower()
    for word in BLIND_WORDS:
        assert word not in html and word not in text, f"{word!r} shown on a blind task"


def test_narrow_screen_pair_side_by_side_notice_floats_and_skips_are_not_answers(browser, studio):
    page, traffic, errors = open_page(browser, studio, "pairs", "narrow", viewport=(400, 800))
    dismiss_instructions(page)
    videos = on_screen(page, r"^(Left|Right) episode$")
    wait_playing(page, videos, 2)
    (a, b) = [v.bounding_box() for v in videos.element_handles()]
    for box in (a, b):  # both whole on screen at once, reduced
        assert box["x"] >= 0 and box["x"] + box["width"] <= 400 and box["y"] >= 0 and box["y"] + box["height"] <= 800
        assert box["width"] >= 100
    assert abs(a["y"] - b["y"]) < 1 and a["x"] + a["width"] <= b["x"]  # side by side
    controls = [page.get_by_role("button", name="Pause"), page.get_by_role("button", name="Next frame"),
                page.get_by_role("slider", name="Position"), page.get_by_label("Speed"), page.get_by_label("loop")]
    for c in controls:  # the control bar wraps rather than being cut off
        box = c.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 400, c
    assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
    assert_blind(page)

    # a refused answer: the notice says so over the page, nothing moves
    main = page.get_by_role("region", name="Item to judge")
    before = main.bounding_box()
    page.route("**/api/labels", lambda route: route.fulfill(
        status=409, content_type="application/json", body='{"detail": "annotator narrow already labelled this pair"}'))
    page.keyboard.press("ArrowLeft")
    notice = page.get_by_role("status", name="Notice")
    expect(notice).to_have_text("Your last answer was not saved: annotator narrow already labelled this pair")
    assert notice.evaluate("n => getComputedStyle(n).position") == "fixed"
    assert main.bounding_box()["y"] == before["y"]
    page.unroute("**/api/labels")
    saved(page)
    wait_playing(page, videos, 2)
    expect(count(page)).to_have_text("0 answered · 0 min")

    page.get_by_role("button", name="Skip").click()  # a skip is not an answer
    saved(page)
    expect(count(page)).to_have_text("0 answered · 0 min")
    wait_playing(page, videos, 2)
    page.keyboard.press("ArrowRight")
    saved(page)
    expect(count(page)).to_have_text("1 answered · 0 min")
    assert [lb["choice"] for lb in traffic.labels()] == ["left", "skip", "right"]

    # an undo the server refuses (a tune job of the task came after the answer): said plainly, the answer stands
    researcher = {"Authorization": f"Bearer {Tokens.load_or_create(studio['data']).researcher}"}
    tune = httpx.post(f"{studio['app'].url}/api/jobs", json={"kind": "tune", "task_id": studio["tasks"]["pairs"]},
                      headers=researcher, timeout=30)
    assert tune.status_code == 201, tune.text
    page.keyboard.press("Backspace")
    expect(notice).to_have_text("Could not undo: tuning has already used this answer; it can no longer be undone")
    assert main.bounding_box()["y"] == before["y"]
    assert [u["submission_id"] for u in traffic.undo_posts] == [traffic.labels()[-1]["submission_id"]]
    expect(count(page)).to_have_text("1 answered · 0 min")
    expect(page.get_by_role("button", name="Undo last")).to_be_enabled()  # the skip before it can still be undone
    assert not errors, errors
    page.context.close()


def test_two_tabs_of_one_person_get_different_items(browser, studio):
    context = browser.new_context()
    try:
        tabs = [open_page(browser, studio, "pairs", "twotabs", context=context) for _ in range(2)]
        for page, _, _ in tabs:
            wait_playing(page, on_screen(page, r"^(Left|Right) episode$"), 2)
            wait_until(page, lambda p=page: p.locator("video").count() == 4, what="the next pair prefetched")
        (_, one, _), (_, two, _) = tabs
        clients = [{q["client"] for q in t.next_queries} for t in (one, two)]
        assert all(len(c) == 1 for c in clients) and clients[0] != clients[1]
        assert one.items() and two.items() and not set(one.items()) & set(two.items())
    finally:
        context.close()


def test_hints_on_show_outcomes_and_why_an_episode_ended(browser, studio):
    page, traffic, errors = open_page(browser, studio, "hinted", "hinted")
    dismiss_instructions(page)
    wait_playing(page, on_screen(page, r"^(Left|Right) episode$"), 2)
    (item,) = traffic.items().values()
    expect(page.get_by_role("region", name="Item to judge")).to_contain_text("Which episode is better at collect wood?")
    for side, name in (("left", "Left episode"), ("right", "Right episode")):
        tile = page.get_by_role("figure", name=name)
        ep = item[side]
        early = ep["length"] < MAX_STEPS
        expect(tile).to_contain_text(f"Ended early at step 10 of {MAX_STEPS}: the agent died." if early
                                     else f"Ran all {MAX_STEPS} steps: stopped by the time limit.")
        expect(tile.locator(".pgt-star")).to_have_text("★" if ep["success"] else "")
    assert any(item[s]["success"] for s in ("left", "right"))
    assert not errors, errors
    page.context.close()


def test_instructions_on_demand_by_key_and_button(browser, studio):
    page, _, errors = open_page(browser, studio, "grading", "reader")
    panel = instructions(page)
    expect(panel).to_be_visible(timeout=15_000)  # before the first answer
    expect(panel).to_contain_text("Judge which agent keeps busy and makes steady progress.")
    expect(panel).to_contain_text("G good · B bad · U unsure")
    wait_playing(page, on_screen(page, r"^Episode$"), 1)
    page.keyboard.press("g")  # answer keys wait while the instructions are open
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    page.keyboard.press("?")
    expect(panel).to_be_visible()
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    page.keyboard.press("i")
    expect(panel).to_be_visible()
    panel.get_by_role("button", name="Got it").click()
    expect(panel).to_be_hidden()
    page.get_by_role("button", name="Instructions").click()
    expect(panel).to_be_visible()
    panel.get_by_role("button", name="Got it").click()
    expect(count(page)).to_have_text("0 answered · 0 min")
    assert not errors, errors
    page.context.close()


def test_grade_rank_undo_and_what_the_database_keeps(browser, studio):
    """One episode at a time (keys and clicks), undo brings the item back, best of 4 by keys and by clicks with a
    full order, the done screen; then the rows in DuckDB after a clean stop."""
    page, traffic, errors = open_page(browser, studio, "grading", "ann")
    dismiss_instructions(page)
    episode = on_screen(page, r"^Episode$")
    wait_playing(page, episode, 1)
    assert_blind(page)
    page.keyboard.press("g")
    wait_playing(page, episode, 1)
    page.get_by_role("button", name="Bad").click()
    saved(page)
    expect(count(page)).to_have_text("2 answered · 0 min")
    first, second = traffic.answers()
    assert (first["answer"], second["answer"]) == ({"grade": "good"}, {"grade": "bad"})

    page.keyboard.press("z")  # undo the last: that item comes back
    expect(page.get_by_role("status", name="Notice")).to_have_text("Undone: that item is back for a new answer.")
    assert traffic.undo_posts == [{"submission_id": second["submission_id"], "annotator": "ann"}]
    wait_playing(page, episode, 1)
    expect(count(page)).to_have_text("1 answered · 0 min")
    page.keyboard.press("u")
    saved(page)
    again = traffic.answers()[-1]
    assert again["question_id"] == second["question_id"] and again["answer"] == {"grade": "unsure"}
    expect(count(page)).to_have_text("2 answered · 0 min")

    # best of 4: a new task opens its instructions first
    page.get_by_label("Task").select_option(label="meadow survey (2 items)")
    dismiss_instructions(page)
    tiles = on_screen(page, r"^Episode \d$")
    wait_playing(page, tiles, 4)
    assert_blind(page)
    page.get_by_label("Speed").select_option("2")
    submit = page.get_by_role("button", name="Submit")
    expect(submit).to_be_disabled()
    page.keyboard.press("2")  # best
    page.keyboard.press("4")  # then worst
    expect(page.get_by_role("status", name="Your picks")).to_have_text("Best: episode 2 · Worst: episode 4")
    page.keyboard.press("Enter")
    wait_playing(page, tiles, 4)
    picked = traffic.answers()[-1]
    offered = traffic.items()[f"q{picked['question_id']}"]
    assert picked["shown"] == [e["id"] for e in offered["episodes"]]  # as the server sent them, in order
    assert picked["answer"] == {"best": picked["shown"][1], "worst": picked["shown"][3]}

    first_pick, third_pick = (page.get_by_role("group", name=f"Episode {n} pick") for n in (1, 3))
    first_pick.get_by_role("button", name="Best").click()  # picks by click
    third_pick.get_by_role("button", name="Worst").click()
    expect(page.get_by_role("status", name="Your picks")).to_have_text("Best: episode 1 · Worst: episode 3")
    expect(first_pick.get_by_role("button", name="Best")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="Order all").click()  # ordering starts from nothing
    for n in (3, 1, 4):  # the last one is placed by itself
        page.get_by_role("group", name=f"Episode {n} pick").get_by_role("button", name=re.compile("^Rank")).click()
    expect(page.get_by_role("status", name="Your picks")).to_have_text("Order: 3 > 1 > 4 > 2")
    submit.click()
    done = page.get_by_role("region", name="All done")
    expect(done).to_be_visible()
    ordered = traffic.answers()[-1]
    s = ordered["shown"]
    assert ordered["answer"] == {"order": [[s[2]], [s[0]], [s[3]], [s[1]]]}
    assert s == [e["id"] for e in traffic.items()[f"q{ordered['question_id']}"]["episodes"]]

    # the done screen: nothing plays, other tasks with open items are offered
    assert all(v["paused"] for v in video_states(page.locator("video")))
    expect(page.get_by_role("button", name="forest errand — 1 item open")).to_be_visible()
    expect(done.get_by_role("button", name=re.compile(r"^hill pairs — \d+ items open$"))).to_be_visible()
    saved(page)
    expect(count(page)).to_have_text("2 answered · 0 min")
    assert_blind(page)
    assert not errors, errors
    page.context.close()

    app = studio["app"]
    assert app.stop() in (0, -signal.SIGTERM), app.log()
    con = duckdb.connect(str(AppConfig(data_dir=studio["data"]).db_path), read_only=True)
    try:
        rows = con.execute("""SELECT a.submission_id, a.annotator, a.answer, a.shown, a.playback_rate, a.time_spent_ms,
                                     a.undone_at, q.mode FROM answers a JOIN questions q ON a.question_id = q.id
                              WHERE a.annotator = 'ann' ORDER BY a.id""").fetchall()
    finally:
        con.close()
    by_sid = {r[0]: r for r in rows}
    sent = traffic.answers()
    assert set(by_sid) == {a["submission_id"] for a in sent}
    for a in sent:
        _, who, answer, shown, rate, spent, undone_at, mode = by_sid[a["submission_id"]]
        assert who == "ann" and json.loads(answer) == a["answer"] and json.loads(shown) == a["shown"]
        assert rate == a["playback_rate"] and spent == a["time_spent_ms"] and spent > 0
        assert (undone_at is not None) == (a["submission_id"] == second["submission_id"])
        assert mode == ("best_of_k" if "grade" not in a["answer"] else "per_episode")
    assert [a["playback_rate"] for a in sent] == [1, 1, 1, 2, 2]

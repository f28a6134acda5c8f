"""The researcher view in headless Debian Chromium (Playwright): a whole round driven from the page.

Creates a task from a shipped prompt clip and starts a round through the forms, lets the
HTTP teacher label, clicks Tune, watches the round reach review, checks the side-by-side
videos (one synced player per seed), the plots, a job's log and the latent comparison, promotes,
and checks an annotator gets 403. Everything is found by role, label and visible text.
Set PGT_SCREENSHOT=path.png to save a screenshot of the view in review (docs/researcher.png).
"""
from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect

from labeler.files.tokens import Tokens
from tests.support.browser import out_of_sync, video_states, wait_until
from tests.support.http_teacher import label_pending
from tests.support.studio import login_url, proof_headers, start_app, teacher_score

pytestmark = pytest.mark.browser
# `browser` comes from conftest.py: the run's one Chromium, on its own thread, where this test's body runs.

ONE_FRAME_S = 0.1


def round_row(page, number: int):
    rounds = page.get_by_role("table", name="Rounds")
    return rounds.get_by_role("row").filter(has=page.get_by_role("rowheader", name=str(number), exact=True))


def round_status(page, number: int = 1) -> str:
    return round_row(page, number).get_by_role("cell").first.inner_text().strip().split("\n")[0]


def wait_status(page, wanted: str, timeout_ms: int = 240_000) -> None:
    status = round_row(page, 1).get_by_role("cell").first
    expect(status).to_have_text(re.compile(rf"^({re.escape(wanted)}|failed)"), timeout=timeout_ms)
    assert round_status(page) == wanted, page.get_by_role("table", name="Rounds").inner_text()


def test_researcher_view_runs_a_round(browser, tmp_path):
    app = start_app(tmp_path)
    errors: list[str] = []
    pages = []
    try:
        annotator = browser.new_page()
        pages.append(annotator)
        resp = annotator.goto(app.url + "/researcher")
        assert resp.status == 403 and "Login code" in annotator.content()
        assert annotator.request.get(app.url + "/api/researcher/overview").status == 403

        page = browser.new_page(viewport={"width": 1360, "height": 1500})
        pages.append(page)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("dialog", lambda d: d.accept())  # Promote asks first
        page.goto(login_url(app.url, tmp_path))
        page.wait_for_url(app.url + "/researcher")  # the one-time code left the address bar for a session cookie

        page.get_by_text("New task from a prompt clip").click()
        form = page.get_by_role("form", name="New task")
        expect(form.get_by_label("Clip of").locator("option")).not_to_have_count(0)
        form.get_by_label("Name").fill("wood")
        form.get_by_label("Achievement").select_option("collect_wood")
        form.get_by_label("Time limit (steps)").fill("20")
        form.get_by_label("Clip of").select_option("collect_wood")
        form.get_by_role("button", name="Create task").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("wood")
        expect(page.get_by_role("navigation", name="Tasks").get_by_role("button", name=re.compile("^wood"))) \
            .to_have_attribute("aria-current", "true")

        start = page.get_by_role("form", name="Start a round")
        for name, value in {"Round size": "6", "Pairs per episode": "3", "Epochs": "3", "Eval episodes": "4",
                            "Review videos": "2"}.items():
            start.get_by_label(name, exact=True).fill(value)
        start_button = page.get_by_role("button", name="Start round")
        start_button.click()
        wait_status(page, "labelling")
        expect(start_button).to_be_disabled()  # one open round per task

        overview = page.request.get(app.url + "/api/researcher/overview", headers=proof_headers(page)).json()
        task_id = next(t["id"] for t in overview["tasks"] if t["name"] == "wood")
        label_pending(app.url, task_id, score=teacher_score, token=Tokens.load_or_create(tmp_path).researcher)
        tune = round_row(page, 1).get_by_role("button", name="Tune")
        expect(tune).to_be_enabled()
        tune.click()
        wait_status(page, "review")

        review = page.get_by_role("region", name=re.compile(r"^Round 1: before \(z0\)"))
        expect(review).to_be_visible()
        players = review.get_by_role("group", name=re.compile(r"^Seed \d+$"))
        expect(players).to_have_count(2)
        expect(review.locator("video")).to_have_count(4)
        wait_until(page, lambda: all(v["ready"] >= 2 and v["width"] > 0 for v in video_states(review.locator("video"))),
                   timeout_s=60, what="every review video showing a frame")
        first = players.first
        wait_until(page, lambda: all(not v["paused"] or v["ended"] for v in video_states(first.locator("video"))),
                   what="before and after playing")
        for _ in range(4):  # before and after play in lock-step
            page.wait_for_timeout(150)
            assert out_of_sync(video_states(first.locator("video"))) <= ONE_FRAME_S
        first.get_by_role("button", name="Pause").click()
        first.get_by_role("slider", name="Position").fill("3")
        assert all(v["t"] == pytest.approx(0.35, abs=0.02) for v in video_states(first.locator("video")))

        metrics = page.get_by_role("region", name="Metrics")
        expect(metrics.get_by_role("img")).to_have_count(5)  # the server's SVG charts
        assert metrics.locator("polyline").count() > 0  # the per-epoch loss curve

        jobs = page.get_by_role("region", name="Jobs")
        log_button = jobs.get_by_role("button", name=re.compile(r"^Log of job #")).first
        log_button.click()
        expect(log_button).to_have_attribute("aria-expanded", "true")
        expect(jobs.get_by_role("log").first).to_contain_text(re.compile(r"\[try 1\] .{10,}"))

        library = page.get_by_role("table", name="Latent library")
        boxes = library.get_by_role("checkbox", name=re.compile(r"^Compare latent #"))
        expect(boxes).to_have_count(2)
        boxes.nth(0).check()
        boxes.nth(1).check()
        page.get_by_role("button", name="Compare selected").click()
        matrix = page.get_by_role("table", name=re.compile("^Cosine similarity"))
        expect(matrix.get_by_role("cell", name="1.000")).to_have_count(2)  # each latent with itself
        page.wait_for_timeout(1600)  # a poll or more later the ticks are still there
        expect(boxes.nth(0)).to_be_checked()
        if os.environ.get("PGT_SCREENSHOT"):
            first.get_by_role("button", name="Play").click()
            page.wait_for_timeout(700)  # let the videos show a frame
            page.screenshot(path=os.environ["PGT_SCREENSHOT"], full_page=True)

        review.get_by_role("button", name=re.compile(r"^Promote latent #")).click()
        wait_status(page, "promoted")
        newest = library.get_by_role("row").nth(1)  # below the header: the newest latent, now active
        expect(newest).to_contain_text("active")
        expect(newest.get_by_role("button", name=re.compile("^Make latent"))).to_be_hidden()
        expect(start_button).to_be_enabled()
        assert errors == []
    finally:
        for p in pages:
            p.close()
        app.stop()

"""The researcher view in headless Debian Chromium (Playwright): a whole round driven from the page.

Creates a task from a shipped prompt clip and starts a round through the forms, lets the
HTTP teacher label, clicks Tune, watches the round reach review, checks the side-by-side
videos, the plots and the latent comparison, promotes, and checks an annotator gets 403.
Set PGT_SCREENSHOT=path.png to save a screenshot of the view in review (docs/researcher.png).
"""
from __future__ import annotations

import os

import pytest

from tests.support.http_teacher import label_pending
from tests.support.studio import login_url, start_app, teacher_score

pytestmark = pytest.mark.browser
# `browser` comes from conftest.py: the run's one Chromium, on its own thread, where this test's body runs.


def round_status(page) -> str:
    return page.inner_text("[data-testid=rs-round-1] [data-testid=rs-round-status]").strip()


def wait_status(page, wanted: str, timeout_ms: int = 240_000) -> None:
    page.wait_for_function(
        """(w) => { const el = document.querySelector('[data-testid=rs-round-1] [data-testid=rs-round-status]');
                    return el && (el.textContent.trim() === w || el.textContent.trim() === 'failed'); }""",
        arg=wanted, timeout=timeout_ms)
    assert round_status(page) == wanted, page.inner_text("[data-testid=rs-rounds]")


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

        page = browser.new_page(viewport={"width": 1360, "height": 1500}, bypass_csp=True)  # wait_for_function evals
        pages.append(page)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(login_url(app.url, tmp_path))
        page.wait_for_url(app.url + "/researcher")  # the one-time code left the address bar for a session cookie
        page.wait_for_function("document.querySelector('#rs-task-form select[name=prompt_task]').options.length > 0")

        page.click("[data-testid=rs-new-task] summary")
        page.fill("#rs-task-form input[name=name]", "wood")
        page.select_option("#rs-task-form select[name=achievement]", "collect_wood")
        page.fill("#rs-task-form input[name=max_steps]", "20")
        page.select_option("#rs-task-form select[name=prompt_task]", "collect_wood")
        page.click("#rs-task-form button[type=submit]")
        page.wait_for_function("document.querySelector('[data-testid=rs-task-title]').textContent === 'wood'")

        for name, value in {"round_size": "6", "pairs_per_traj": "3", "epochs": "3", "eval_episodes": "4",
                            "review_videos": "2"}.items():
            page.fill(f"#rs-round-form input[name={name}]", value)
        page.click("[data-testid=rs-start-round]")
        wait_status(page, "labelling")
        assert page.is_disabled("[data-testid=rs-start-round]")  # one open round per task

        task_id = int(page.get_attribute("[data-testid=rs-tasks] li", "data-task"))
        label_pending(app.url, task_id, score=teacher_score)
        page.wait_for_selector("[data-testid=rs-tune-1]:not([disabled])")
        page.click("[data-testid=rs-tune-1]")
        wait_status(page, "review")

        page.wait_for_selector("[data-testid=rs-review]:not([hidden]) [data-testid=rs-review-row]")
        assert page.locator("[data-testid=rs-review-row]").count() == 2
        page.wait_for_function("[...document.querySelectorAll('[data-testid=rs-review] video')]"
                               ".every(v => v.readyState >= 2 && v.videoWidth > 0)", timeout=60_000)
        assert page.locator("[data-testid=rs-review] video").count() == 4
        page.wait_for_function("document.querySelectorAll('[data-testid=rs-plots] svg').length === 5")
        assert page.locator("[data-testid=rs-plots] svg polyline").count() > 0  # the per-epoch loss curve
        page.locator("[data-testid=rs-jobs] button[data-log]").first.click()
        page.wait_for_function("[...document.querySelectorAll('.rs-log')].some(e => !e.hidden && e.textContent.length > 20)")
        page.locator("[data-testid=rs-latents] input[data-cmp]").nth(0).check()
        page.locator("[data-testid=rs-latents] input[data-cmp]").nth(1).check()
        page.click("[data-testid=rs-compare]")
        page.wait_for_selector("[data-testid=rs-compare-table]")
        if os.environ.get("PGT_SCREENSHOT"):
            page.wait_for_timeout(700)  # let the videos show a frame
            page.screenshot(path=os.environ["PGT_SCREENSHOT"], full_page=True)

        page.click("[data-testid=rs-review-promote]")
        wait_status(page, "promoted")
        page.wait_for_selector("[data-testid=rs-latents] tr:first-child .rs-badge.promoted")  # newest latent active
        assert not page.is_disabled("[data-testid=rs-start-round]")
        assert errors == []
    finally:
        for p in pages:
            p.close()
        app.stop()

"""The quality page without a session, its round numbers and its queue of pairs that matter for tuning.

Two tasks, so the second task's round 1 has database id 2: the page must say "round 1" as the
researcher view does. On that round dave and erin disagree on two pairs, once a against b and once
tie against both bad; only the first is in the adjudication queue unless the toggle asks for both.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from tests.support.app_process import AppProcess
from tests.support.researcher_page import researcher_view
from tests.support.seeded_rounds import seed_rounds
from tests.support.studio import login_url
from tests.support.synthetic import seed_data_dir

pytestmark = pytest.mark.browser


def label_all(http: httpx.Client, task_id: int, annotator: str, choose) -> dict[int, str]:
    """`annotator` answers every pair the app offers with choose(pair) ("skip" for the ones that do not matter);
    returns pair id -> the left episode they were shown."""
    shown = {}
    while pair := http.get("/api/pairs/next", params={"task_id": task_id, "annotator": annotator}).json()["pair"]:
        http.post("/api/labels", json={"submission_id": f"{annotator}-label-{pair['id']}", "pair_id": pair["id"],
                                       "annotator": annotator, "choice": choose(pair), "left_traj": pair["left"]["id"],
                                       "right_traj": pair["right"]["id"], "time_spent_ms": 1200}).raise_for_status()
        shown[pair["id"]] = pair["left"]["id"]
    return shown


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    data = tmp_path_factory.mktemp("quality_rounds")
    seed_rounds(data, "other", [{"status": "rejected", "outcomes": [(False, False)]}])  # round id 1
    seeded = seed_data_dir(data, n_traj=4, per_traj=1, length=8, task="collect_wood")
    assert seeded["round_id"] == 2
    with AppProcess(data, ["--no-bootstrap", "--no-worker", "--no-ui", "--labels-per-pair", "2"]) as running:
        with httpx.Client(base_url=running.url, timeout=30) as http:
            order: list[int] = []

            def daves(pair: dict) -> str:
                order.append(pair["id"])
                return {1: "left", 2: "tie"}.get(len(order), "skip")

            dave_left = label_all(http, seeded["task_id"], "dave", daves)
            disputed, undecided = order[0], order[1]

            def erins(pair: dict) -> str:
                if pair["id"] == disputed:  # the other episode than dave's
                    return "right" if pair["left"]["id"] == dave_left[disputed] else "left"
                return "both_bad" if pair["id"] == undecided else "skip"

            label_all(http, seeded["task_id"], "erin", erins)
        running.data, running.disputed, running.undecided = data, disputed, undecided
        yield running


def test_quality_without_a_session_shows_the_login_page_and_returns_to_it(browser, app):
    page = browser.new_page()
    try:
        response = page.goto(app.url + "/quality")
        assert response.status == 403
        expect(page.get_by_role("heading", name="PGT Studio")).to_be_visible()
        expect(page.get_by_label("Login code")).to_be_visible()
        assert "{" not in page.locator("body").inner_text()  # a page, not an API error
        code = urlsplit(login_url(app.url, app.data)).fragment
        page.goto("about:blank")
        page.goto(f"{app.url}/quality#{code}")  # the login page, served in place of /quality, reads the link
        page.wait_for_url(app.url + "/quality")
        expect(page).to_have_title(re.compile("Annotator quality"))
    finally:
        page.close()


def test_round_numbers_match_the_researcher_view_and_tie_vs_both_bad_waits_behind_a_toggle(browser, app):
    with researcher_view(browser, app, width=1280, height=900) as page:
        page.goto(app.url + "/quality")
        page.get_by_label("Task").select_option(label="collect_wood")
        expect(page.get_by_label("Round").locator("option")).to_have_text(["all", "round 1"])

        queue = page.get_by_role("region", name="Adjudication queue")
        items = queue.get_by_role("article")
        expect(items).to_have_count(1)
        expect(items.first.get_by_role("heading")).to_have_text(f"Pair {app.disputed} (round 1)")
        alpha = page.get_by_role("table", name=re.compile("^Agreement per round"))
        expect(alpha.get_by_role("rowheader")).to_have_text(["round 1"])

        page.get_by_role("checkbox", name=re.compile("tie vs both bad")).check()
        expect(items).to_have_count(2)
        expect(queue.get_by_role("heading", name=f"Pair {app.undecided} (round 1)")).to_be_visible()
        assert page.errors == []

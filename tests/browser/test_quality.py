"""The annotator quality page in headless Chromium: summary, adjudication in the shared player, decisions.

Two annotators label over HTTP and disagree on three pairs; the researcher opens /quality with the
researcher cookie, sees the summary for the task, plays a disputed pair in the synced player and
decides it, which the API then reports and the queue no longer shows.
"""
from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.sync_api import expect

from tests.support.app_process import AppProcess
from tests.support.browser import out_of_sync, video_states, wait_until
from tests.support.researcher_page import researcher_view
from tests.support.studio import login_url, proof_headers
from tests.support.synthetic import seed_data_dir

pytestmark = pytest.mark.browser

ONE_FRAME_S = 0.1
DISPUTED = 3


def label(http: httpx.Client, pair: dict, annotator: str, choice: str) -> None:
    body = {"submission_id": str(uuid.uuid4()), "pair_id": pair["id"], "annotator": annotator, "choice": choice,
            "left_traj": pair["left"]["id"], "right_traj": pair["right"]["id"], "time_spent_ms": 1500}
    http.post("/api/labels", json=body).raise_for_status()


def disagree(url: str, task_id: int) -> None:
    """dave prefers the left video of three pairs; erin prefers the other rollout of the same pairs."""
    with httpx.Client(base_url=url, timeout=30) as http:
        daves = {}
        for _ in range(DISPUTED):
            pair = http.get("/api/pairs/next", params={"task_id": task_id, "annotator": "dave"}).json()["pair"]
            label(http, pair, "dave", "left")
            daves[pair["id"]] = pair["left"]["id"]
        while pair := http.get("/api/pairs/next", params={"task_id": task_id, "annotator": "erin"}).json()["pair"]:
            if pair["id"] in daves:
                label(http, pair, "erin", "right" if pair["left"]["id"] == daves[pair["id"]] else "left")
            else:
                label(http, pair, "erin", "skip")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    data = tmp_path_factory.mktemp("quality")
    seeded = seed_data_dir(data, n_traj=6, per_traj=2, length=16)
    with AppProcess(data, ["--no-bootstrap", "--no-worker", "--no-ui", "--labels-per-pair", "2"]) as running:
        disagree(running.url, seeded["task_id"])
        running.task_id = seeded["task_id"]
        running.data = data
        yield running


def test_summary_adjudication_in_the_player_and_a_decision(browser, app):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        assert page.goto(app.url + "/quality").status == 403  # researchers only
        page.goto(login_url(app.url, app.data))  # a one-time link: the session cookie
        page.wait_for_url(app.url + "/researcher")
        page.get_by_role("link", name="Annotator quality").click()
        expect(page).to_have_title(re.compile("Annotator quality"))
        expect(page.get_by_label("Task")).to_have_value(str(app.task_id))

        overview = page.get_by_role("region", name="Overview")
        expect(overview).to_contain_text(re.compile(rf"disputed pairs\s*{DISPUTED}"))
        expect(overview).to_contain_text(re.compile(rf"labels\s*{2 * DISPUTED}"))  # skips are not labels here
        annotators = page.get_by_role("table", name="Annotators")
        for who in ("dave", "erin"):
            row = annotators.get_by_role("row").filter(has=page.get_by_role("rowheader", name=who, exact=True))
            expect(row.get_by_role("cell").first).to_have_text(str(DISPUTED))  # labels column
            expect(row).to_contain_text("0% (0/3)")  # agrees with the others on none of them
        expect(page.get_by_role("region", name="Labels per hour").get_by_role("listitem")).to_have_count(2)

        queue = page.get_by_role("region", name="Adjudication queue")
        items = queue.get_by_role("article")
        expect(items).to_have_count(DISPUTED)
        item = items.first
        pair_id = int(re.search(r"Pair (\d+)", item.get_by_role("heading").inner_text()).group(1))
        expect(item).to_contain_text("dave")
        videos = item.get_by_role("group", name="Disputed pair").locator("video")
        expect(videos).to_have_count(2)
        wait_until(page, lambda: all(v["ready"] >= 2 and not v["paused"] and v["muted"] for v in video_states(videos)),
                   what="both episodes of the disputed pair playing")
        for _ in range(4):
            page.wait_for_timeout(150)
            assert out_of_sync(video_states(videos)) <= ONE_FRAME_S
        item.get_by_role("button", name="Pause").click()
        item.get_by_role("button", name="Next frame").click()
        states = video_states(videos)
        assert all(v["paused"] for v in states) and states[0]["t"] == pytest.approx(states[1]["t"], abs=0.001)

        # a decision needs a name; without one nothing is posted
        item.get_by_role("button", name="b is better").click()
        expect(page.get_by_role("status", name="Notice")).to_contain_text("Type your name")
        expect(page.get_by_label("Researcher")).to_be_focused()
        expect(items).to_have_count(DISPUTED)

        page.get_by_label("Researcher").fill("rita")
        item.get_by_role("button", name="b is better").click()
        expect(page.get_by_role("status", name="Notice")).to_have_text(f"Pair {pair_id}: b recorded")
        expect(items).to_have_count(DISPUTED - 1)
        expect(queue.get_by_role("heading", name=re.compile(rf"^Pair {pair_id} "))).to_have_count(0)
        decided = page.request.get(f"{app.url}/api/quality/adjudications?task_id={app.task_id}",
                                   headers=proof_headers(page)).json()
        assert [(d["pair_id"], d["decision"], d["researcher"]) for d in decided] == [(pair_id, "b", "rita")]
        assert errors == []
    finally:
        page.close()


def test_the_quality_page_fits_a_phone_width(browser, app):
    """At 400 px nothing scrolls the page sideways: wide tables scroll inside their card."""
    with researcher_view(browser, app, width=400, height=800) as page:
        page.goto(app.url + "/quality")
        annotators = page.get_by_role("table", name="Annotators")
        expect(annotators.get_by_role("rowheader", name="dave", exact=True)).to_be_visible()
        expect(page.get_by_role("region", name="Adjudication queue").get_by_role("article")).not_to_have_count(0)
        expect(page.get_by_role("region", name="Labels per hour").get_by_role("listitem")).not_to_have_count(0)
        wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter((e) => e.getBoundingClientRect().right > innerWidth + 0.5 && !e.closest('.q-scroll'))
            .map((e) => e.tagName + '.' + e.className)""")
        assert page.evaluate("document.documentElement.scrollWidth") <= 400, wide
        assert page.errors == []

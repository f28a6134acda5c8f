"""The shared player (static/shared/player.js) on its own: three episodes of different lengths.

A page made here (served on the app's origin through Playwright's routing, so the module loads from
the app's /static like on every page) puts the player's public API to work on three real videos of 20,
40 and 60 steps. Checks: every video stays within a frame of the leader while playing, scrubbing and
frame stepping; the longest episode leads (the scale, the step counter and the end are its), shorter
ones rest on their last frame; loop off stops at the leader's end, loop on starts all over.
"""
from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.support.app_process import AppProcess
from tests.support.browser import out_of_sync, video_states, wait_until
from tests.support.synthetic import seed_data_dir

pytestmark = pytest.mark.browser

FPS = 10
ONE_FRAME_S = 1 / FPS
LENGTHS = [40, 20, 60]  # the leader is not the first one
AT_SHORT_END = pytest.approx(2.075, abs=0.03)  # the 20-step episode (2.1 s) shows its last frame (2.0-2.1 s)


def harness(trajs: list[dict]) -> str:
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>player</title>
<link rel="stylesheet" href="/static/shared/base.css"><link rel="stylesheet" href="/static/shared/player.css">
</head><body class="pgt-page"><div class="pgt-root" id="root"></div>
<script type="module">
import {{ SyncedPlayer }} from "/static/shared/player.js";
const player = new SyncedPlayer({{ label: "Three episodes", autoplay: false }});
document.getElementById("root").append(player.el);
const trajs = {json.dumps(trajs)};
player.load(trajs.map((t, i) => ({{ traj: t, title: `Episode ${{i + 1}}` }})), {{ target: "collect_wood" }});
</script></body></html>"""


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    data = tmp_path_factory.mktemp("player")
    ids = [seed_data_dir(data, n_traj=2, per_traj=1, length=n, seed=k)["trajectories"][0]
           for k, n in enumerate(LENGTHS)]
    with AppProcess(data, ["--no-bootstrap", "--no-worker", "--no-ui"]) as running:
        running.trajs = [{"id": t, "video_url": f"/api/videos/{t}.mp4", "length": n, "events": [[3, "collect_wood"]],
                          "success": False} for t, n in zip(ids, LENGTHS, strict=True)]
        yield running


def test_n_videos_stay_in_sync_and_the_longest_leads(browser, app):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        url = app.url + "/test/player"
        page.route(url, lambda route: route.fulfill(body=harness(app.trajs), content_type="text/html"))
        page.goto(url)
        player = page.get_by_role("group", name="Three episodes")
        videos = player.locator("video")
        step = player.get_by_role("status", name="Step")
        expect(step).to_have_text("step 0 / 60")  # the longest episode sets the scale
        expect(player.get_by_role("figure")).to_have_count(3)
        wait_until(page, lambda: all(v["ready"] >= 2 for v in video_states(videos)), what="three decoded videos")
        assert player.get_by_role("slider", name="Position").get_attribute("max") == "60"
        assert all(v["paused"] and v["muted"] for v in video_states(videos))  # autoplay off here

        # playing: within a frame of the leader, and the 20-step one rests on its last frame
        player.get_by_label("Speed").select_option("2")
        player.get_by_role("button", name="Play").click()
        short_rested = False
        for _ in range(12):
            page.wait_for_timeout(200)
            states = video_states(videos)
            assert out_of_sync(states) <= ONE_FRAME_S, states
            lead, short = states[2], states[1]
            assert lead["rate"] == 2
            if lead["t"] > short["duration"] + 0.3:
                assert short["t"] == pytest.approx(short["duration"], abs=ONE_FRAME_S)  # it did not loop alone
                short_rested = True
        assert short_rested

        # scrubbing and stepping: every video at the middle of the frame, clamped to its own end
        player.get_by_role("button", name="Pause").click()
        player.get_by_role("slider", name="Position").fill("30")
        expect(step).to_have_text("step 30 / 60")
        t = [v["t"] for v in video_states(videos)]
        assert t == [pytest.approx(3.05, abs=0.02), AT_SHORT_END, pytest.approx(3.05, abs=0.02)]
        player.get_by_role("button", name="Next frame").click()
        expect(step).to_have_text("step 31 / 60")
        t = [v["t"] for v in video_states(videos)]
        assert t == [pytest.approx(3.15, abs=0.02), AT_SHORT_END, pytest.approx(3.15, abs=0.02)]
        player.get_by_role("button", name="Previous frame").click()
        player.get_by_role("button", name="Previous frame").click()
        expect(step).to_have_text("step 29 / 60")
        assert out_of_sync(video_states(videos)) <= 0.02

        # loop off: it stops at the leader's end; the 40-step one ended before and waited
        player.get_by_label("loop").uncheck()
        player.get_by_role("slider", name="Position").fill("55")
        player.get_by_role("button", name="Play").click()
        expect(player.get_by_role("button", name="Play")).to_be_visible(timeout=10_000)
        expect(step).to_have_text("step 60 / 60")
        states = video_states(videos)
        assert all(v["paused"] for v in states)
        assert [v["t"] for v in states] == [pytest.approx(v["duration"], abs=ONE_FRAME_S) for v in states]

        # loop on: play from the end starts every episode over, together
        player.get_by_label("loop").check()
        player.get_by_role("slider", name="Position").fill("57")
        player.get_by_role("button", name="Play").click()
        wait_until(page, lambda: (s := video_states(videos)) and s[2]["t"] < 1.0 and not s[2]["paused"],
                   what="the leader starting over")
        expect(step).to_have_text(re.compile(r"^step \d / 60$"))
        page.wait_for_timeout(200)
        assert out_of_sync(video_states(videos)) <= ONE_FRAME_S
        assert errors == []
    finally:
        page.close()

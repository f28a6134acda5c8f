"""The researcher view for daily use, in headless Chromium, on rounds written straight into the store.

Tasks whose rounds are already promoted, in review or labelling (tests/support/seeded_rounds.py), and
an app without workers: what is checked is what the page does with them. Polling leaves the rounds
table alone (focus stays, a narrow window's Tune click lands), refused settings are explained beside
their field, Promote / Roll back / Reject ask first and a rollback shows in the table, the success
column reads start -> tuned (z0), the form keeps its settings per task and says why Start is off,
the review pages through every seed by outcome, and z0's dot is not hidden in round 1.
"""
from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.support.app_process import AppProcess
from tests.support.researcher_page import pick_task, researcher_view, round_row
from tests.support.seeded_rounds import seed_rounds

pytestmark = pytest.mark.browser

# Round 2 of "daily": 8 wins, 4 losses, 6 both, 6 neither -> start 10/24 (42%), tuned 14/24 (58%), z0 0%.
REVIEW = [(False, True)] * 8 + [(True, False)] * 4 + [(True, True)] * 6 + [(False, False)] * 6
PLAN = [{"status": "promoted", "outcomes": [(False, True), (False, False)]},
        {"status": "review", "outcomes": REVIEW, "ab": [True, True, False]}]
# What the tune job answers when no epoch beat the start latent: the round went back to labelling.
NO_CHANGE = {"best_epoch": 0, "epochs": 5, "best_epoch_kind": "first", "no_change": True,
             "diagnosis": "best epoch is 0: no epoch beat the start latent on held-out loss; the latent is unchanged"}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    data = tmp_path_factory.mktemp("daily")
    seeded = {name: seed_rounds(data, name, PLAN) for name in ("daily", "rollback")}
    seeded["tune"] = seed_rounds(data, "tune", [], labelling_pairs=2)
    seeded["form"] = seed_rounds(data, "form", [])
    seeded["reject"] = seed_rounds(data, "reject", [], labelling_pairs=2)
    seeded["same_z0"] = seed_rounds(data, "same_z0", [{"status": "labelling", "tune": NO_CHANGE}])
    seeded["same"] = seed_rounds(data, "same", [PLAN[0], {"status": "labelling", "tune": NO_CHANGE}])
    with AppProcess(data, ["--no-bootstrap", "--no-worker", "--no-ui"]) as running:
        with httpx.Client(base_url=running.url, timeout=30) as http:  # one decisive label: Tune can start
            pair = http.get("/api/pairs/next", params={"task_id": seeded["tune"]["task_id"], "annotator": "ann"}).json()
            pair = pair["pair"]
            http.post("/api/labels", json={"submission_id": "daily-label-1", "pair_id": pair["id"], "annotator": "ann",
                                           "choice": "left", "left_traj": pair["left"]["id"],
                                           "right_traj": pair["right"]["id"], "time_spent_ms": 900}).raise_for_status()
        running.data, running.seeded = data, seeded
        yield running


def test_polling_leaves_the_rounds_table_alone(browser, app):
    with researcher_view(browser, app) as page:
        pick_task(page, "daily")
        promote = round_row(page, 2).get_by_role("button", name="Promote")
        promote.focus()
        button = promote.element_handle()
        page.wait_for_timeout(3500)  # two polls or more
        assert page.evaluate("b => b.isConnected && document.activeElement === b", button)
        assert page.errors == []

    with researcher_view(browser, app, width=400, height=900) as narrow:
        pick_task(narrow, "tune")
        tune = round_row(narrow, 1).get_by_role("button", name="Tune")
        expect(tune).to_be_enabled()
        narrow.wait_for_timeout(1600)  # a poll lands between finding the button and clicking it
        tune.click()
        expect(narrow.get_by_role("status", name="Notice")).to_have_text("Tuning started")
        expect(round_row(narrow, 1).get_by_role("cell").first).to_have_text(re.compile("^tuning"))
        assert narrow.evaluate("document.documentElement.scrollWidth") <= 400  # wide tables scroll in their card
        assert narrow.errors == []


def test_success_column_reads_start_to_tuned_with_z0(browser, app):
    with researcher_view(browser, app) as page:
        pick_task(page, "daily")
        header = page.get_by_role("table", name="Rounds").get_by_role("columnheader").nth(4)
        expect(header).to_have_text("success start → tuned (z0)")
        expect(round_row(page, 2).get_by_role("cell").nth(3)).to_have_text(re.compile(r"^42% → 58% \(z0 0%\)"))
        expect(round_row(page, 1).get_by_role("cell").nth(3)).to_have_text(re.compile("^0% → 50%"))  # starts from z0


def test_success_plot_does_not_hide_z0_in_round_1(browser, app):
    with researcher_view(browser, app) as page:
        pick_task(page, "daily")
        chart = page.get_by_role("region", name="Metrics").get_by_role("img", name="Success rate on fixed seeds")
        z0 = chart.locator('circle[fill="#2563eb"]')  # the first series: z0 (prompt)
        expect(z0).to_have_count(2)
        on_top = z0.evaluate_all("""cs => cs.map(c => { c.scrollIntoView({block: "center"});
            const r = c.getBoundingClientRect();
            return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === c; })""")
        assert on_top == [True, True]


def test_review_pages_through_every_seed_by_outcome(browser, app):
    with researcher_view(browser, app) as page:
        pick_task(page, "daily")
        review = page.get_by_role("region", name=re.compile(r"^Round 2: before \(start latent #\d+\)"))
        expect(review).to_contain_text("95% CI")
        expect(review).to_contain_text(re.compile(r"People's blind A/B, tuned against start: .*2 wins, 1 losses?"))
        expect(review).to_contain_text("(3 of 3 comparisons answered)")
        filters = review.get_by_role("group", name="Show seeds")
        for label in ("All (24)", "Wins (8)", "Losses (4)", "Both succeeded (6)", "Neither (6)"):
            expect(filters.get_by_role("button", name=label)).to_be_visible()
        expect(filters.get_by_role("button", name="All (24)")).to_have_attribute("aria-pressed", "true")

        players = review.get_by_role("group", name=re.compile(r"^Seed \d+$"))
        pager = review.get_by_role("status", name="Seeds shown")
        seen: set[str] = set()
        expect(pager).to_have_text("seeds 1–6 of 24")
        while True:
            expect(players).to_have_count(6)
            expect(players.first.locator("video")).to_have_count(2)  # the shared synced player, both sides
            seen |= {n for n in (players.nth(i).get_attribute("aria-label") for i in range(6))}
            nxt = review.get_by_role("button", name="Next seeds")
            if nxt.is_disabled():
                break
            first = players.first.get_attribute("aria-label")
            nxt.click()
            expect(players.first).not_to_have_attribute("aria-label", first)
        assert len(seen) == 24  # every evaluation seed, once each

        filters.get_by_role("button", name="Losses (4)").click()
        expect(pager).to_have_text("seeds 1–4 of 4")
        expect(players).to_have_count(4)
        expect(review.get_by_text("loss: only the start latent succeeded")).to_have_count(4)
        tile = players.first.get_by_role("figure")
        expect(tile.first).to_contain_text(re.compile(r"before: start latent #\d+ · succeeded"))
        expect(tile.last).to_contain_text(re.compile(r"after: tuned latent #\d+ · failed"))
        expect(players.first.locator(".pgt-timeline")).to_have_count(2)
        assert page.errors == []


def test_promote_and_roll_back_ask_first_and_a_rollback_shows_in_the_table(browser, app):
    with researcher_view(browser, app) as page:
        asked: list[str] = []
        answers = iter([False, True, True])
        page.on("dialog", lambda d: (asked.append(d.message), d.accept() if next(answers) else d.dismiss()))
        pick_task(page, "rollback")
        round_row(page, 2).get_by_role("button", name="Promote").click()
        expect(round_row(page, 2).get_by_role("cell").first).to_have_text("review")  # dismissed: nothing happened
        assert asked and asked[0].startswith("Promote latent #")

        page.get_by_role("button", name="Roll back latent").click()
        expect(round_row(page, 1).get_by_role("cell").first).to_have_text("promoted, rolled back")
        assert asked[1].startswith("Roll back latent #")
        library = page.get_by_role("table", name="Latent library")
        z0 = library.get_by_role("row").filter(has_text="prompt")
        expect(z0).to_contain_text("active")
        row2 = round_row(page, 2)  # started from the rolled-back latent: no Promote any more
        expect(row2.get_by_role("button", name="Promote")).to_be_hidden()
        expect(row2).to_contain_text("no longer active")
        review = page.get_by_role("region", name=re.compile(r"^Round 2: before"))
        expect(review.get_by_role("button", name=re.compile("^Promote latent"))).to_be_hidden()

        row2.get_by_role("button", name="Roll back").click()
        expect(row2.get_by_role("cell").first).to_have_text("rejected")
        assert asked[2].startswith("Roll back round 2?")
        assert page.errors == []


def test_round_form_explains_refusals_remembers_settings_and_says_why_start_is_off(browser, app):
    with researcher_view(browser, app) as page:
        pick_task(page, "form")
        start = page.get_by_role("form", name="Start a round")
        beta = start.get_by_label("β", exact=True)
        beta.fill("99")
        start.get_by_label("Epochs", exact=True).fill("7")
        page.get_by_role("button", name="Start round").click()
        problem = start.get_by_role("alert")
        expect(problem).to_have_text("β must be between 0.001 and 10, got 99")
        expect(beta).to_have_attribute("aria-invalid", "true")
        expect(beta).to_have_accessible_description("β must be between 0.001 and 10, got 99")
        notice = page.get_by_role("status", name="Notice")
        expect(notice).to_have_text(re.compile("check β"))
        assert "loc" not in notice.inner_text() and "{" not in notice.inner_text()
        beta.fill("0.2")
        expect(problem).to_have_count(0)  # edited: the problem is gone

        page.reload()
        pick_task(page, "form")
        expect(start.get_by_label("β", exact=True)).to_have_value("0.2")
        expect(start.get_by_label("Epochs", exact=True)).to_have_value("7")
        pick_task(page, "daily")  # settings are per task
        expect(start.get_by_label("Epochs", exact=True)).to_have_value("50")
        pick_task(page, "form")
        expect(start.get_by_label("Epochs", exact=True)).to_have_value("7")

        page.get_by_role("button", name="Start round").click()
        expect(round_row(page, 1).get_by_role("cell").first).to_have_text(re.compile("^collecting"))
        button = page.get_by_role("button", name="Start round")
        expect(button).to_be_disabled()
        expect(button).to_have_accessible_description("round 1 is collecting: wait for its job")
        pick_task(page, "tune")
        why = re.compile(r"^round 1 is (labelling: finish or reject it|tuning: wait for its job)$")
        expect(button).to_have_accessible_description(why)
        assert page.errors == []


def test_new_task_form_is_blind_by_default_and_sends_instructions(browser, app):
    with researcher_view(browser, app) as page:
        page.get_by_text("New task from a prompt clip").click()
        form = page.get_by_role("form", name="New task")
        hints = form.get_by_role("checkbox", name="Hints for annotators")
        expect(hints).not_to_be_checked()  # blind unless asked
        expect(form.get_by_label("Clip of").locator("option")).not_to_have_count(0)
        form.get_by_label("Name").fill("hinted")
        form.get_by_label("Achievement").select_option("collect_wood")
        form.get_by_label("Clip of").select_option("collect_wood")
        hints.check()
        form.get_by_label("Instructions for annotators").fill("Pick the one that reaches a tree sooner.")
        form.get_by_role("button", name="Create task").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("hinted", timeout=120_000)
        tasks = page.request.get(app.url + "/api/researcher/overview").json()["tasks"]
        task = next(t for t in tasks if t["name"] == "hinted")
        assert task["hints"] is True and task["instructions"] == "Pick the one that reaches a tree sooner."
        assert page.errors == []


def test_log_out_ends_the_session(browser, app):
    with researcher_view(browser, app) as page:
        page.get_by_role("link", name="Log out").click()
        page.wait_for_load_state()
        assert page.goto(app.url + "/researcher").status == 403  # the login page again
        expect(page.get_by_label("Login code")).to_be_visible()


def test_round_form_estimates_people_minutes_and_presets_fill_it(browser, app):
    with researcher_view(browser, app) as page:
        pick_task(page, "form")
        start = page.get_by_role("form", name="Start a round")
        estimate = start.get_by_role("status", name="Human time")
        minutes = re.compile(r"^≈ (\d+) min of human time \((model|measured)\)")
        expect(estimate).to_have_text(minutes)
        expect(estimate).to_contain_text("pairs")
        expect(start.get_by_label("Videos per question (K)")).to_be_hidden()

        start.get_by_label("Feedback").select_option("best_of_k")
        expect(start.get_by_label("Videos per question (K)")).to_be_visible()
        expect(start.get_by_label("Pairs per episode")).to_be_hidden()
        expect(estimate).to_contain_text("questions")  # asked again for the new settings
        start.get_by_label("Feedback").select_option("per_episode")
        expect(start.get_by_label("Pair selection")).to_be_hidden()  # one episode at a time: nothing to order

        start.get_by_label("Feedback").select_option("pairwise")
        size = start.get_by_label("Round size", exact=True)
        size.fill("2000")
        expect(estimate).to_contain_text("from 2000 episodes")
        big = int(minutes.match(estimate.inner_text()).group(1))
        start.get_by_role("group", name="Presets").get_by_role("button", name="10 minutes, one person").click()
        expect(size).not_to_have_value("2000")
        expect(estimate).to_contain_text(f"from {size.input_value()} episodes")
        assert int(minutes.match(estimate.inner_text()).group(1)) <= 10 < big
        review = start.get_by_role("status", name="Evaluation size")
        expect(review).to_contain_text("evaluation episodes per latent give ±")
        use = start.get_by_role("button", name=re.compile(r"^Use \d+ for ±10 points"))
        wanted = re.match(r"^Use (\d+)", use.inner_text()).group(1)
        use.click()
        expect(start.get_by_label("Eval episodes")).to_have_value(wanted)
        expect(review).to_contain_text(f"Review: {wanted} evaluation episodes per latent give ±10 points")
        expect(use).to_be_hidden()  # the size already reaches the target
        page.reload()  # the preset's settings are the task's settings now
        pick_task(page, "form")
        expect(start.get_by_label("Round size", exact=True)).not_to_have_value("2000")
        assert page.errors == []


def test_a_small_evaluation_says_not_significant_in_the_table_the_review_and_on_promote(browser, app):
    """Round 2 of "daily": 8 wins against 4 losses on 24 seeds, exact McNemar p = 0.39."""
    with researcher_view(browser, app) as page:
        pick_task(page, "daily")
        row = round_row(page, 2)
        success = row.get_by_role("cell").nth(3)
        expect(success).to_contain_text(re.compile(r"\+17 points \(95% CI −\d+ to \+\d+\), not significant"))
        expect(row.get_by_role("button", name="Promote (not significant)", exact=True)).to_be_visible()
        review = page.get_by_role("region", name=re.compile(r"^Round 2: before"))
        expect(review).to_contain_text(re.compile(r"\+17 points \(95% CI -\d+ to \+\d+\), exact McNemar p = 0\.39: "
                                                  "not significant"))
        promote = review.get_by_role("button", name=re.compile(r"^Promote latent #\d+ \(not significant\)$"))
        expect(promote).to_be_visible()
        assert page.errors == []


def test_a_tune_that_changed_nothing_says_so_on_the_round(browser, app):
    with researcher_view(browser, app) as page:
        pick_task(page, "same_z0")  # round 1 started from z0: named
        status = round_row(page, 1).get_by_role("cell").first
        expect(status).to_have_text("labellingno change: z0 was best (best epoch 0)")
        expect(round_row(page, 1).get_by_role("button", name="Tune")).to_be_visible()  # label more, tune again

        pick_task(page, "same")  # round 2 started from round 1's promoted latent
        expect(round_row(page, 2).get_by_text("no change: the start latent was best (best epoch 0)")).to_be_visible()
        expect(round_row(page, 1)).not_to_contain_text("no change")
        assert page.errors == []


def test_reject_on_a_labelling_round_asks_first(browser, app):
    with researcher_view(browser, app) as page:
        asked: list[str] = []
        answers = iter([False, True])
        page.on("dialog", lambda d: (asked.append(d.message), d.accept() if next(answers) else d.dismiss()))
        pick_task(page, "reject")
        row = round_row(page, 1)
        row.get_by_role("button", name="Reject").click()
        assert asked == ["Reject round 1? It closes without tuning; its labels are kept."]
        page.wait_for_timeout(1600)  # a poll: still labelling, on the page and in the store
        expect(row.get_by_role("cell").first).to_have_text("labelling")
        task = page.request.get(f"{app.url}/api/researcher/tasks/{app.seeded['reject']['task_id']}").json()
        assert [r["status"] for r in task["rounds"]] == ["labelling"]

        row.get_by_role("button", name="Reject").click()
        expect(row.get_by_role("cell").first).to_have_text("rejected")
        assert len(asked) == 2 and page.errors == []


def test_the_task_form_shows_a_refused_time_limit_beside_its_field(browser, app):
    with researcher_view(browser, app) as page:
        page.get_by_text("New task from a prompt clip").click()
        form = page.get_by_role("form", name="New task")
        form.get_by_label("Name").fill("too_long")
        limit = form.get_by_label("Time limit (steps)")
        limit.fill("200000")
        form.get_by_role("button", name="Create task").click()
        expect(form.get_by_role("alert")).to_have_text("Time limit (steps) must be at most 100000")
        expect(limit).to_have_attribute("aria-invalid", "true")
        expect(limit).to_have_accessible_description("Time limit (steps) must be at most 100000")
        expect(page.get_by_role("status", name="Notice")).to_have_text(re.compile("check Time limit"))
        tasks = page.request.get(app.url + "/api/researcher/overview").json()["tasks"]
        assert "too_long" not in [t["name"] for t in tasks]  # refused: nothing made
        assert page.errors == []


def test_review_videos_show_a_frame_before_they_play(browser, app):
    with researcher_view(browser, app) as page:
        pick_task(page, "daily")
        review = page.get_by_role("region", name=re.compile(r"^Round 2: before"))
        videos = review.locator("video")
        expect(videos).to_have_count(12)  # six seeds, both sides
        page.evaluate("() => document.querySelectorAll('#rs-review video').forEach((v) => v.pause())")
        frames = page.wait_for_function("""() => {
            const vs = [...document.querySelectorAll('#rs-review video')];
            if (!vs.length || vs.some((v) => v.readyState < 2)) return null;
            const c = document.createElement('canvas');
            const g = c.getContext('2d', { willReadFrequently: true });
            return vs.map((v) => {
              c.width = v.videoWidth; c.height = v.videoHeight;
              g.drawImage(v, 0, 0);
              const px = g.getImageData(0, 0, c.width, c.height).data;
              let sum = 0;
              for (let i = 0; i < px.length; i += 4) sum += px[i] + px[i + 1] + px[i + 2];
              return sum / (3 * px.length / 4);
            });
        }""", timeout=30_000).json_value()
        assert len(frames) == 12 and min(frames) > 30, frames  # a frame of the episode, not black
        assert page.errors == []

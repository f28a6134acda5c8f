"""What the researcher view says of a round beyond its success rates, in headless Chromium, on rounds written
straight into the store (tests/support/seeded_rounds.py) and an app without workers.

The review shows what tuning did to z (how far it moved, the best-epoch statement, accuracy with zero
margins counted as half); a round waiting in `promoting` shows its background rollout's progress; a task
without a reward function is judged by people's blind A/B alone, with nothing about success on the page.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.app_process import AppProcess
from tests.support.researcher_page import pick_task, researcher_view, round_row
from tests.support.seeded_rounds import seed_rounds

pytestmark = pytest.mark.browser

OUTCOMES = [(False, True)] * 3 + [(True, False)] * 2 + [(True, True)] * 3
# A tune result as the tune job writes it (labeler/worker/runners.py): still improving at its last epoch.
STILL_IMPROVING = {
    "best_epoch": 50, "epochs": 50, "best_epoch_kind": "last",
    "diagnosis": "best epoch is the last one (50): held-out loss was still improving when the epochs ran out",
    "drift": {"l2": 3.2, "cosine": 0.97, "norm": 6.9, "start_norm": 6.3, "relative_l2": 0.508},
    "best": {"epoch": 50, "train_loss": 0.41, "val_loss": 0.52,
             "train": {"accuracy": 0.8, "zero_margin": 0.0, "margin": 0.3},
             "val": {"accuracy": 0.625, "zero_margin": 0.05, "margin": 0.123}},
}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    data = tmp_path_factory.mktemp("rounds-state")
    seeded = {
        "tuned": seed_rounds(data, "tuned", [{"status": "review", "outcomes": OUTCOMES, "tune": STILL_IMPROVING}]),
        "promoting": seed_rounds(data, "promoting", [{"status": "promoting", "outcomes": OUTCOMES,
                                                      "rollout_progress": 0.4}]),
        # No reward function: success is never counted (every episode "fails"), people judge.
        "people": seed_rounds(data, "people", [{"status": "review", "outcomes": [(False, False)] * 6,
                                                "config": {"evaluation": "human"}, "ab": [True, True, False]}],
                              achievement=""),
    }
    with AppProcess(data, ["--no-bootstrap", "--no-worker", "--no-ui", "--job-stale-s", "3600"]) as running:
        running.data, running.seeded = data, seeded
        yield running


def test_the_review_says_what_tuning_did_to_z(browser, app):
    with researcher_view(browser, app) as page:
        pick_task(page, "tuned")
        review = page.get_by_role("region", name=re.compile(r"^Round 1: before \(z0\)"))
        tuning = review.get_by_role("group", name="Tuning")
        expect(tuning).to_contain_text("still improving: the best epoch is the last one (50 of 50)")
        expect(tuning).to_contain_text("z moved 3.20 from the start (0.51 × |start|), cosine to the start 0.970, "
                                       "|z| 6.30 → 6.90")
        expect(tuning).to_contain_text("held-out preference accuracy 63% (a zero margin counts as half; "
                                       "5% of pairs at zero margin)")
        assert page.errors == []


def test_a_promoting_round_shows_its_background_rollout(browser, app):
    with researcher_view(browser, app) as page:
        pick_task(page, "promoting")
        row = round_row(page, 1)
        expect(row.get_by_role("cell").first).to_have_text("promoting")
        bar = row.get_by_role("progressbar")
        expect(bar).to_be_visible()
        expect(bar).to_have_attribute("aria-valuenow", "40")
        expect(row).to_contain_text("rolling out the next round's episodes: 40%")
        assert page.errors == []


def test_a_task_without_reward_is_judged_by_people_alone(browser, app):
    with researcher_view(browser, app) as page:
        pick_task(page, "people")
        row = round_row(page, 1)
        expect(row.get_by_role("cell").nth(3)).to_have_text(
            re.compile(r"people preferred tuned in 67% of 3 \(95% CI \d+%–\d+%\), not significant$"))
        expect(row.get_by_role("button", name="Promote (not significant)", exact=True)).to_be_visible()

        review = page.get_by_role("region", name=re.compile(r"^Round 1: before"))
        expect(review).to_contain_text("People's blind A/B, tuned against start: people preferred candidate")
        expect(review.get_by_role("group", name=re.compile(r"^Seed \d+$"))).to_have_count(6)
        expect(review.get_by_role("group", name="Show seeds")).to_be_hidden()  # wins / losses count success
        shown = review.inner_text()
        for word in ("success", "McNemar", "succeeded", "failed", "✓", "✗", "reward", "only the"):
            assert word not in shown, word
        assert page.errors == []

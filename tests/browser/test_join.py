"""An annotator's invite link in real Chromium: a used or unknown code says why it did not work; a fresh one signs
the person in under the invited name."""
from __future__ import annotations

import httpx
import pytest

from labeler.files.tokens import Tokens
from tests.support.app_process import AppProcess
from tests.support.browser import wait_until
from tests.support.synthetic import seed_data_dir

pytestmark = pytest.mark.browser


def test_an_invite_link_signs_in_once_and_a_bad_one_says_why(browser, tmp_path):
    seed_data_dir(tmp_path, n_traj=4, per_traj=2, length=4)
    app = AppProcess(tmp_path, ["--no-bootstrap", "--no-worker", "--no-ui"]).start()
    try:
        researcher = {"Authorization": f"Bearer {Tokens.load_or_create(tmp_path).researcher}"}
        invite = httpx.post(app.url + "/api/session/invites", json={"name": "Dana"}, headers=researcher).json()
        context = browser.new_context()
        page = context.new_page()
        page.goto(app.url + invite["url"])
        wait_until(page, lambda: "annotator=dana" in page.url)
        assert "#code=" not in page.url
        page.goto(app.url + invite["url"])  # the same link again: its code is spent
        status = page.locator("#join-status")
        wait_until(page, lambda: "unknown, used or expired" in status.inner_text())
        assert status.inner_text().startswith("Could not sign you in")
        context.close()
    finally:
        app.stop()

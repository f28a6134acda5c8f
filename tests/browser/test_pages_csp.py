"""Every page of ours runs under its strict Content-Security-Policy without a single violation (real Chromium)."""
from __future__ import annotations

import pytest

from tests.support.app_process import AppProcess
from tests.support.browser import wait_until
from tests.support.studio import login_url
from tests.support.synthetic import seed_data_dir

pytestmark = pytest.mark.browser


def test_our_pages_pass_their_csp(browser, tmp_path):
    seed_data_dir(tmp_path, n_traj=4, per_traj=2, length=8)
    app = AppProcess(tmp_path, ["--no-bootstrap", "--no-worker", "--no-ui"]).start()
    try:
        context = browser.new_context()
        page = context.new_page()
        violations: list[str] = []
        page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
        page.on("pageerror", lambda e: violations.append(str(e)))
        page.goto(login_url(app.url, tmp_path))
        page.wait_for_url(app.url + "/researcher")
        for path in ("/researcher", "/quality", "/annotate?annotator=csp", "/login"):
            response = page.goto(app.url + path)
            assert "script-src 'self'" in response.headers["content-security-policy"], path
            page.wait_for_load_state("networkidle")
        page.goto(app.url + "/annotate?annotator=csp")
        wait_until(page, lambda: page.locator("video").count() >= 2)  # the view really ran its modules
        assert violations == []
        context.close()
    finally:
        app.stop()

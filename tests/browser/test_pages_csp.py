"""Every page, the Gradio page at / included (the UI is mounted, as by default), runs under its strict
Content-Security-Policy without a single violation (real Chromium)."""
from __future__ import annotations

import pytest

from tests.support.app_process import AppProcess
from tests.support.browser import wait_until
from tests.support.studio import login_url
from tests.support.synthetic import seed_data_dir

pytestmark = pytest.mark.browser


def test_our_pages_pass_their_csp(browser, tmp_path):
    seed_data_dir(tmp_path, n_traj=12, per_traj=2, length=8)  # each visit reserves a pair and the next
    app = AppProcess(tmp_path, ["--no-bootstrap", "--no-worker", "--checkpoint", str(tmp_path / "none.pt")],
                     startup_timeout=180).start()
    try:
        context = browser.new_context()
        page = context.new_page()
        violations: list[str] = []
        page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
        page.on("pageerror", lambda e: violations.append(str(e)))
        page.goto(login_url(app.url, tmp_path))
        page.wait_for_url(app.url + "/researcher")
        for path in ("/researcher", "/quality", "/annotate?annotator=csp", "/login", "/?annotator=csp"):
            response = page.goto(app.url + path)
            policy = response.headers["content-security-policy"]
            assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, path
            assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0], path
            assert "unsafe-eval" not in policy, path
            page.wait_for_load_state("networkidle")
        for path in ("/annotate?annotator=csp", "/?annotator=csp"):  # the view really ran its modules
            page.goto(app.url + path)
            wait_until(page, lambda: page.locator("video").count() >= 2, timeout_s=60, what=f"the videos of {path}")
        assert violations == []
        context.close()
    finally:
        app.stop()

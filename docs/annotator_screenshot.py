"""Make docs/annotator.png: the annotator view right after a first start, in headless Chromium.

    python docs/annotator_screenshot.py [--out docs/annotator.png] [--episodes 8]

The app starts on an empty data directory, so what is on screen is exactly what a new user
gets: the default Crafter task rolled out by the shipped foundation policy under z0.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.app_process import AppProcess  # noqa: E402

CHROME_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", type=Path, default=Path(__file__).with_name("annotator.png"))
    p.add_argument("--episodes", type=int, default=8)
    args = p.parse_args()
    from playwright.sync_api import expect, sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        app_args = ["--bootstrap-episodes", str(args.episodes), "--no-worker"]
        with AppProcess(tmp, app_args) as app, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROME_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(app.url + "/?annotator=alice")
            left_better = page.get_by_role("button", name="Left is better", exact=True)
            expect(left_better).to_be_enabled(timeout=300_000)
            instructions = page.get_by_role("dialog", name="Instructions")  # open before the first answer
            expect(instructions).to_be_visible()
            instructions.get_by_role("button", name="Got it").click()
            page.wait_for_function(  # the next pair is decoded in the hidden set
                "() => [...document.querySelectorAll('video')].filter(v => v.readyState >= 2).length === 4",
                timeout=30_000)
            page.keyboard.press("ArrowLeft")  # one label, so progress and the saved badge show
            expect(page.get_by_role("status", name="Answer sync")).to_have_text("all answers saved ✓", timeout=30_000)
            page.wait_for_timeout(4500)  # let both episodes play a few seconds
            page.keyboard.press(" ")
            page.screenshot(path=str(args.out), full_page=True)
            browser.close()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

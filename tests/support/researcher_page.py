"""The researcher view as the browser tests find it: a logged-in page, a task picked, a round's row."""
from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Any, Iterator

from playwright.sync_api import Page, expect

from tests.support.studio import login_url


@contextmanager
def researcher_view(browser: Any, app: Any, width: int = 1360, height: int = 1400) -> Iterator[Page]:
    """A logged-in researcher page that collects its page errors in `page.errors`; closed afterwards."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    try:
        page.goto(login_url(app.url, app.data))
        page.wait_for_url(app.url + "/researcher")
        yield page
    finally:
        page.close()


def pick_task(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Tasks").get_by_role("button", name=re.compile(f"^{name} ")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


def round_row(page: Page, number: int):
    rounds = page.get_by_role("table", name="Rounds")
    return rounds.get_by_role("row").filter(has=page.get_by_role("rowheader", name=str(number), exact=True))

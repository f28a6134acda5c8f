"""The app's command line: the login link goes to a private file (not a log), repeated polls stay out of the
access log at the default level."""
from __future__ import annotations

import logging
import stat

import pytest

from labeler.cli import announce_login, quiet_polls


@pytest.fixture
def access_log():
    """What reaches uvicorn's access log handlers once the app's filter is on (the logger as the app leaves it)."""
    logger = logging.getLogger("uvicorn.access")
    kept_filters, kept_level = list(logger.filters), logger.level
    seen: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(str(record.args[2]))

    handler = Collect()
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    quiet_polls()
    try:
        yield logger, seen
    finally:
        logger.removeHandler(handler)
        logger.filters[:] = kept_filters
        logger.setLevel(kept_level)


def test_polls_stay_out_of_the_access_log(access_log):
    logger, seen = access_log
    polled = ("/api/status", "/api/jobs/claim", "/api/jobs/7/heartbeat", "/api/tasks/1/progress?annotator=a",
              "/api/researcher/tasks/3", "/api/researcher/overview")
    logged = ("/api/labels", "/api/jobs/7/complete", "/api/researcher/tasks/3/rounds", "/api/videos/x.mp4")
    for path in polled + logged:  # the arguments uvicorn's access logger formats
        logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", path, "1.1", 200)
    assert seen == list(logged)


def test_the_login_link_is_written_privately_and_not_printed(tmp_path, capsys):
    announce_login("http://127.0.0.1:7860/login#code=s3cret", tmp_path)
    out = capsys.readouterr()
    assert "s3cret" not in out.out + out.err  # not a terminal: only the file's path is printed
    path = tmp_path / "login-link"
    assert path.read_text().strip().endswith("#code=s3cret") and str(path) in out.out
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

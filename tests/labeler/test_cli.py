"""The app's command line: the login link goes to a private file (not a log), repeated polls stay out of the
access log at the default level."""
from __future__ import annotations

import logging
import stat

from labeler.cli import _QuietPolls, announce_login


def access_record(path: str) -> logging.LogRecord:
    return logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                             ("127.0.0.1:5000", "GET", path, "1.1", 200), None)


def test_polls_stay_out_of_the_access_log():
    keep = _QuietPolls()
    for polled in ("/api/status", "/api/jobs/claim", "/api/jobs/7/heartbeat", "/api/tasks/1/progress?annotator=a",
                   "/api/researcher/tasks/3", "/api/researcher/overview"):
        assert not keep.filter(access_record(polled)), polled
    for logged in ("/api/labels", "/api/jobs/7/complete", "/api/researcher/tasks/3/rounds", "/api/videos/x.mp4"):
        assert keep.filter(access_record(logged)), logged


def test_the_login_link_is_written_privately_and_not_printed(tmp_path, capsys):
    announce_login("http://127.0.0.1:7860/login#code=s3cret", tmp_path)
    out = capsys.readouterr()
    assert "s3cret" not in out.out + out.err  # not a terminal: only the file's path is printed
    path = tmp_path / "login-link"
    assert path.read_text().strip().endswith("#code=s3cret") and str(path) in out.out
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

"""The HTML pages: /annotate (the annotator view without Gradio), /researcher (login, logout) and /quality.

Why the researcher's pages are served only to a researcher: annotators must not reach them, and a
tab hidden by the client is still served to everyone. `/researcher?token=<researcher token>` (the
app prints the link at start) sets an HttpOnly, same-site cookie and redirects to the bare URL,
so the token leaves the address bar; everyone else gets a page saying who the view is for.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from labeler.http.auth import COOKIE, RESEARCHER, role

router = APIRouter(include_in_schema=False)
STATIC_DIR = Path(str(resources.files("labeler") / "static"))
COOKIE_MAX_AGE_S = 30 * 24 * 3600
NO_CACHE = {"Cache-Control": "no-cache"}
FORBIDDEN = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>PGT Studio · Researcher</title>
<style>body{font-family:system-ui,sans-serif;max-width:560px;margin:12vh auto;color:#1d2330;line-height:1.5}</style>
</head><body><h1>Researchers only</h1>
<p>This view is for the people running the study. Open the researcher link the app printed when it
started (<code>/researcher?token=...</code>), or ask whoever runs it.</p>
<p>Labelling pairs? The annotator view is <a href="/">here</a>.</p></body></html>"""


def page(name: str) -> FileResponse:
    return FileResponse(STATIC_DIR / name / "index.html", headers=NO_CACHE)


def _forbidden() -> HTMLResponse:
    return HTMLResponse(FORBIDDEN, status_code=403)


@router.get("/annotate")
def annotate_page() -> FileResponse:
    return page("annotator")


@router.get("/researcher")
def researcher_page(request: Request, token: str | None = None) -> Response:
    if token is not None:
        if request.app.state.pgt.tokens.role_of(token) != RESEARCHER:
            return _forbidden()
        resp = RedirectResponse("/researcher", status_code=303)
        resp.set_cookie(COOKIE, token, max_age=COOKIE_MAX_AGE_S, httponly=True, samesite="strict", path="/")
        return resp
    return page("researcher") if role(request) == RESEARCHER else _forbidden()


@router.get("/researcher/logout")
def logout() -> Response:
    resp = RedirectResponse("/", status_code=303)
    resp.delete_cookie(COOKIE, path="/")
    return resp


@router.get("/quality")
def quality_page(request: Request) -> Response:
    return page("quality") if role(request) == RESEARCHER else _forbidden()

"""The researcher view at /researcher: tasks, rounds, job progress, plots, before/after review, latents.

Why its own page and not a tab of the annotator's Gradio page: annotators must not reach it,
and a tab hidden by the client is still served to everyone. This page is served only to a
researcher: `/researcher?token=<researcher token>` (the app prints the link at start) sets an
HttpOnly, same-site cookie and redirects to the bare URL, so the token leaves the address
bar; everyone else gets 403. The page itself (static/researcher.js) calls /api/researcher
with that cookie and draws the server-made SVG charts (labeler.plots).
"""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from labeler.auth import COOKIE, RESEARCHER, role

router = APIRouter()
STATIC_DIR = Path(__file__).resolve().parent / "static"
COOKIE_MAX_AGE_S = 30 * 24 * 3600
FORBIDDEN = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>PGT Studio · Researcher</title>
<style>body{font-family:system-ui,sans-serif;max-width:560px;margin:12vh auto;color:#1d2330;line-height:1.5}</style>
</head><body><h1>Researchers only</h1>
<p>This view is for the people running the study. Open the researcher link the app printed when it
started (<code>/researcher?token=...</code>), or ask whoever runs it.</p>
<p>Labelling pairs? The annotator view is <a href="/">here</a>.</p></body></html>"""


@router.get("/researcher", include_in_schema=False)
def researcher_page(request: Request, token: str | None = None) -> Response:
    if token is not None:
        if request.app.state.tokens.role_of(token) != RESEARCHER:
            return HTMLResponse(FORBIDDEN, status_code=403)
        resp = RedirectResponse("/researcher", status_code=303)
        resp.set_cookie(COOKIE, token, max_age=COOKIE_MAX_AGE_S, httponly=True, samesite="strict", path="/")
        return resp
    if role(request) != RESEARCHER:
        return HTMLResponse(FORBIDDEN, status_code=403)
    return FileResponse(STATIC_DIR / "researcher" / "index.html", headers={"Cache-Control": "no-cache"})


@router.get("/researcher/logout", include_in_schema=False)
def logout() -> Response:
    resp = RedirectResponse("/", status_code=303)
    resp.delete_cookie(COOKIE, path="/")
    return resp

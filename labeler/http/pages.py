"""The HTML pages: /annotate (the annotator view without Gradio), /researcher and /quality (researchers only),
/login (a one-time login code in, a session cookie out) and POST /logout (the pages' "Log out" form).

Why the researcher's pages are served only to a researcher: annotators must not reach them, and a tab
hidden by the client is still served to everyone. Anyone else asking for them gets the login page,
which explains who the view is for. Every page gets a Content-Security-Policy it passes: scripts,
styles, media and connections from the app itself only, and no framing.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from labeler.http.auth import RESEARCHER, page_role
from labeler.http.page_policy import page_policy
from labeler.http.routers.session import end_session

router = APIRouter(include_in_schema=False)
STATIC_DIR = Path(str(resources.files("labeler") / "static"))
PAGE_HEADERS = {"Cache-Control": "no-cache", "Content-Security-Policy": page_policy()}


def page(name: str, status_code: int = 200) -> FileResponse:
    return FileResponse(STATIC_DIR / name / "index.html", headers=PAGE_HEADERS, status_code=status_code)


def researchers_only(request: Request, name: str) -> Response:
    """The page for a researcher; the login page (403) for anyone else."""
    return page(name) if page_role(request) == RESEARCHER else page("login", status_code=403)


@router.get("/annotate")
def annotate_page() -> FileResponse:
    return page("annotator")


@router.get("/researcher")
def researcher_page(request: Request) -> Response:
    return researchers_only(request, "researcher")


@router.get("/quality")
def quality_page(request: Request) -> Response:
    return researchers_only(request, "quality")


@router.get("/login")
def login_page() -> FileResponse:
    return page("login")


@router.get("/join")
def join_page() -> FileResponse:
    """Where an annotator's invite link lands: its code becomes a session under the invited name."""
    return page("join")


@router.post("/logout")
def logout(request: Request) -> Response:
    """The pages' "Log out" form (a POST, so only the app's own pages may send it: labeler.http.security): ends
    the session on the server, then back to the annotator view. The page forgets the session's proof itself."""
    return end_session(request, RedirectResponse("/", status_code=303))

"""Sessions: redeem a one-time login code, log out, mint a login link for another browser.

  POST /api/session {"code"} -> {"role", "name", "proof"} and the session cookie   (a code works once)
  GET  /api/session -> {"role", "name"}                              (who am I; needs the cookie and the proof)
  POST /api/session/logout -> {"role": "annotator"}                  (ends the session on the server)
  POST /api/session/links [researcher] -> {"url", "expires_in_s"}    (a new one-time login link)
  POST /api/session/invites [researcher] {"name"} -> {"name", "url", "expires_in_s"}   (an annotator's invite)
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from labeler.db.sessions import CODE_TTL_S, SESSION_TTL_S
from labeler.errors import Forbidden
from labeler.files.tokens import ANNOTATOR, RESEARCHER
from labeler.http.auth import COOKIE, RESEARCHERS, invited_name, role
from labeler.http.deps import State
from labeler.http.schemas.common import ERRORS
from labeler.http.schemas.session import CodeIn, Invite, InviteIn, LoggedIn, LoginLink, Whoami
from labeler.identifiers import check_name

router = APIRouter(prefix="/api/session", tags=["session"], responses=ERRORS)
INVITE_TTL_S = 7 * 24 * 3600


def login_path(code: str) -> str:
    """The link carries the code in its fragment, which browsers never send to a server (nor put in a Referer)."""
    return f"/login#code={code}"


@router.post("", response_model=LoggedIn)
def log_in(body: CodeIn, request: Request, st: State) -> JSONResponse:
    opened = st.store.sessions.redeem(body.code.strip())
    if opened is None:
        raise Forbidden("this login code is unknown, used or expired: ask for a new link")
    resp = JSONResponse({"role": opened.session.role, "name": opened.session.name, "proof": opened.proof},
                        headers={"Cache-Control": "no-store"})
    resp.set_cookie(COOKIE, opened.sid, max_age=SESSION_TTL_S, httponly=True, samesite="strict", path="/",
                    secure=request.url.scheme == "https")
    return resp


@router.get("", response_model=Whoami)
def whoami(request: Request) -> dict:
    return {"role": role(request), "name": invited_name(request)}


def end_session(request: Request, resp: Response) -> Response:
    """End the cookie's session on the server and drop the cookie. The cookie is enough here: ending one's own
    session gives nothing away, and the same-origin check keeps other sites' pages from doing it."""
    sid = request.cookies.get(COOKIE)
    if sid:
        request.app.state.pgt.store.sessions.end(sid)
    resp.delete_cookie(COOKIE, path="/")
    return resp


@router.post("/logout", response_model=Whoami)
def log_out(request: Request) -> Response:
    return end_session(request, JSONResponse({"role": "annotator"}))


@router.post("/links", response_model=LoginLink, dependencies=RESEARCHERS)
def new_link(st: State) -> dict:
    return {"url": login_path(st.store.sessions.new_code(RESEARCHER)), "expires_in_s": CODE_TTL_S}


@router.post("/invites", status_code=201, response_model=Invite, dependencies=RESEARCHERS)
def new_invite(body: InviteIn, st: State) -> dict:
    """A one-time link that signs an annotator in under this name on their device (for a week, then a new one)."""
    name = check_name(body.name)
    code = st.store.sessions.new_code(ANNOTATOR, ttl_s=INVITE_TTL_S, name=name)
    return {"name": name, "url": f"/join#code={code}", "expires_in_s": INVITE_TTL_S}

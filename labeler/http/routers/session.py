"""Researcher sessions: redeem a one-time login code, log out, mint a login link for another browser.

  POST /api/session {"code"} -> {"role"} and the session cookie   (a code works once, for 15 minutes)
  GET  /api/session -> {"role"}                                      (who am I)
  POST /api/session/logout -> {"role": "annotator"}                  (ends the session on the server)
  POST /api/session/links [researcher] -> {"url", "expires_in_s"}    (a new one-time login link)
  POST /api/session/invites [researcher] {"name"} -> {"name", "url", "expires_in_s"}   (an annotator's invite)
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from labeler.db.sessions import CODE_TTL_S, SESSION_TTL_S
from labeler.errors import Forbidden
from labeler.files.tokens import ANNOTATOR, RESEARCHER
from labeler.http.auth import COOKIE, RESEARCHERS, invited_name, role
from labeler.http.deps import State
from labeler.http.schemas.common import ERRORS
from labeler.http.schemas.session import CodeIn, Invite, InviteIn, LoginLink, Whoami
from labeler.identifiers import check_name

router = APIRouter(prefix="/api/session", tags=["session"], responses=ERRORS)
INVITE_TTL_S = 7 * 24 * 3600


def login_path(code: str) -> str:
    """The link carries the code in its fragment, which browsers never send to a server (nor put in a Referer)."""
    return f"/login#code={code}"


@router.post("", response_model=Whoami)
def log_in(body: CodeIn, request: Request, st: State) -> JSONResponse:
    opened = st.store.sessions.redeem(body.code.strip())
    if opened is None:
        raise Forbidden("this login code is unknown, used or expired: ask for a new link")
    sid, session = opened
    resp = JSONResponse({"role": session.role, "name": session.name})
    resp.set_cookie(COOKIE, sid, max_age=SESSION_TTL_S, httponly=True, samesite="strict", path="/",
                    secure=request.url.scheme == "https")
    return resp


@router.get("", response_model=Whoami)
def whoami(request: Request) -> dict:
    return {"role": role(request), "name": invited_name(request)}


@router.post("/logout", response_model=Whoami)
def log_out(request: Request, st: State) -> JSONResponse:
    sid = request.cookies.get(COOKIE)
    if sid:
        st.store.sessions.end(sid)
    resp = JSONResponse({"role": "annotator"})
    resp.delete_cookie(COOKIE, path="/")
    return resp


@router.post("/links", response_model=LoginLink, dependencies=RESEARCHERS)
def new_link(st: State) -> dict:
    return {"url": login_path(st.store.sessions.new_code(RESEARCHER)), "expires_in_s": CODE_TTL_S}


@router.post("/invites", status_code=201, response_model=Invite, dependencies=RESEARCHERS)
def new_invite(body: InviteIn, st: State) -> dict:
    """A one-time link that signs an annotator in under this name on their device (for a week, then a new one)."""
    name = check_name(body.name)
    code = st.store.sessions.new_code(ANNOTATOR, ttl_s=INVITE_TTL_S, name=name)
    return {"name": name, "url": f"/join#code={code}", "expires_in_s": INVITE_TTL_S}

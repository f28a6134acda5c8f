"""Who is asking: a bearer token (researcher or worker, labeler.files.tokens), a researcher's session cookie,
or nobody (an annotator).

- researchers log in with a one-time link (`/login#code=...`): the code is exchanged for a
  server-side session (labeler.db.sessions) whose random id is the HttpOnly cookie; scripts send the
  researcher token as `Authorization: Bearer ...`;
- the worker token lets a worker claim and report jobs, upload artifacts and register trajectories.
Annotators reach only what the annotator view needs: the status, the task list, their progress, their
next pair, videos, and posting labels. Every other route names the roles it serves with `require(...)`.
Tokens are compared in constant time; requests that a cookie authenticates must also come from the
app's own pages (labeler.http.security).
"""
from __future__ import annotations

from typing import Callable

from fastapi import Depends, HTTPException, Request

from labeler.files.tokens import ANNOTATOR, RESEARCHER, WORKER

COOKIE = "pgt_session"
__all__ = ["ANNOTATOR", "COOKIE", "RESEARCHER", "WORKER", "bearer_token", "invited_name", "labelling_as", "require",
           "role"]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def role(request: Request) -> str:
    st = request.app.state.pgt
    token = bearer_token(request)
    if token is not None:
        return st.tokens.role_of(token)
    session = st.store.sessions.lookup(request.cookies.get(COOKIE))
    return session.role if session else ANNOTATOR


def invited_name(request: Request) -> str | None:
    """The name an annotator's invite session carries (None without one)."""
    if bearer_token(request) is not None:
        return None
    session = request.app.state.pgt.store.sessions.lookup(request.cookies.get(COOKIE))
    return session.name if session and session.role == ANNOTATOR else None


def require(*wanted: str) -> Callable[[Request], str]:
    """A FastAPI dependency that answers 403 unless the request carries the credential of one of `wanted`."""
    if not wanted or ANNOTATOR in wanted:
        raise ValueError("require() takes the researcher and/or worker role; annotator routes need no check")
    needed = " or ".join(wanted)

    def check(request: Request) -> str:
        got = role(request)
        if got not in wanted:
            raise HTTPException(status_code=403, detail=f"this needs the {needed} token or login (you are: {got})")
        return got

    return check


def labelling_as(request: Request, typed: str) -> str:
    """Who a label or a pair request is for: an invite session's name wins over anything typed; a study that
    labels by invitation refuses everyone else (researchers may still label under any name)."""
    invited = invited_name(request)
    if invited is not None:
        return invited
    if request.app.state.pgt.config.annotators == "invite" and role(request) != RESEARCHER:
        raise HTTPException(status_code=403, detail="this study labels by invitation: open the invite link a "
                                                    "researcher sent you")
    return typed


RESEARCHERS = [Depends(require(RESEARCHER))]
WORKERS = [Depends(require(WORKER))]
TOKEN_HOLDERS = [Depends(require(RESEARCHER, WORKER))]

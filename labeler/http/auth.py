"""Who is asking: a bearer token (researcher or worker, labeler.files.tokens), a session, or nobody (an annotator).

- researchers log in with a one-time link (`/login#code=...`), annotators may join by an invite link
  (`/join#code=...`): the code is exchanged for a server-side session (labeler.db.sessions), whose
  random id is the HttpOnly cookie and whose proof the page keeps in localStorage and sends as
  `X-PGT-Proof`. An API request counts as the session's only with both: cookies are not scoped to a
  port, so any server on another port of the same host receives the cookie, but not the proof. The
  pages themselves hold no secret, so the cookie alone chooses between a page and the login page;
- scripts send the researcher token as `Authorization: Bearer ...`; the worker token lets a worker
  claim and report jobs. A request that carries an Authorization header is judged by it alone (a
  header that is not a valid bearer token makes it an annotator's, whatever cookie it also sends).
Annotators reach only what the annotator view needs: the status, the task list, their progress, their
next pair, videos, and posting labels. Every other route names the roles it serves with `require(...)`.
Tokens are compared in constant time; requests that a cookie comes with must also come from the
app's own pages (labeler.http.security).
"""
from __future__ import annotations

from typing import Callable

from fastapi import Depends, HTTPException, Request

from labeler.db.sessions import Session
from labeler.files.tokens import ANNOTATOR, RESEARCHER, WORKER

COOKIE = "pgt_session"
PROOF_HEADER = "x-pgt-proof"
__all__ = ["ANNOTATOR", "COOKIE", "PROOF_HEADER", "RESEARCHER", "WORKER", "bearer_token", "invited_name",
           "labelling_as", "page_role", "require", "researcher_page", "role"]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def api_session(request: Request) -> Session | None:
    """The session an API request proves (cookie and proof header); never one beside an Authorization header."""
    if "authorization" in request.headers:
        return None
    return request.app.state.pgt.store.sessions.authenticate(request.cookies.get(COOKIE),
                                                             request.headers.get(PROOF_HEADER))


def role(request: Request) -> str:
    """The role an API request acts in."""
    if "authorization" in request.headers:
        return request.app.state.pgt.tokens.role_of(bearer_token(request))
    session = api_session(request)
    return session.role if session else ANNOTATOR


def page_role(request: Request) -> str:
    """Whom a page is for: the cookie alone may choose it (pages carry no secret; their API calls need the proof)."""
    if "authorization" in request.headers:
        return role(request)
    session = request.app.state.pgt.store.sessions.lookup(request.cookies.get(COOKIE))
    return session.role if session else ANNOTATOR


def invited_name(request: Request) -> str | None:
    """The name an annotator's invite session carries (None without one)."""
    session = api_session(request)
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


def researcher_page(request: Request) -> None:
    """For what a researcher's browser opens by itself, without the page's proof (the API description): the
    cookie alone may do, as for the pages (labeler.http.pages)."""
    if page_role(request) != RESEARCHER:
        raise HTTPException(status_code=403, detail="this needs the researcher token or login")


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
RESEARCHER_PAGES = [Depends(researcher_page)]

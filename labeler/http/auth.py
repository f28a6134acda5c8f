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
__all__ = ["ANNOTATOR", "COOKIE", "RESEARCHER", "WORKER", "bearer_token", "require", "role"]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def role(request: Request) -> str:
    st = request.app.state.pgt
    token = bearer_token(request)
    if token is not None:
        return st.tokens.role_of(token)
    return st.store.sessions.role(request.cookies.get(COOKIE)) or ANNOTATOR


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


RESEARCHERS = [Depends(require(RESEARCHER))]
WORKERS = [Depends(require(WORKER))]
TOKEN_HOLDERS = [Depends(require(RESEARCHER, WORKER))]

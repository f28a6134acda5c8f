"""Roles by token: annotators need none; researchers and workers each hold a secret token (labeler.files.tokens).

- the researcher token opens the researcher view (`/researcher?token=...` sets an HttpOnly cookie)
  and the /api/researcher, quality and export routes;
- the worker token lets a worker claim and report jobs, upload artifacts and register trajectories.
Anyone else is an annotator and reaches only what the annotator view needs: the status, the task
list, their progress, their next pair, videos, and posting labels. Every other route names the
roles it serves with `require(...)`. Tokens are compared in constant time.
"""
from __future__ import annotations

from typing import Callable

from fastapi import Depends, HTTPException, Request

from labeler.files.tokens import ANNOTATOR, RESEARCHER, WORKER

COOKIE = "pgt_researcher"
__all__ = ["ANNOTATOR", "COOKIE", "RESEARCHER", "WORKER", "presented_token", "require", "role"]


def presented_token(request: Request) -> str | None:
    """The bearer token, else the researcher cookie (browsers), else None."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.cookies.get(COOKIE)


def role(request: Request) -> str:
    return request.app.state.pgt.tokens.role_of(presented_token(request))


def require(*wanted: str) -> Callable[[Request], str]:
    """A FastAPI dependency that answers 403 unless the request carries the token of one of `wanted`."""
    if not wanted or ANNOTATOR in wanted:
        raise ValueError("require() takes the researcher and/or worker role; annotator routes need no check")
    needed = " or ".join(wanted)

    def check(request: Request) -> str:
        got = role(request)
        if got not in wanted:
            raise HTTPException(status_code=403, detail=f"this needs the {needed} token (you are: {got})")
        return got

    return check


RESEARCHERS = [Depends(require(RESEARCHER))]
WORKERS = [Depends(require(WORKER))]
TOKEN_HOLDERS = [Depends(require(RESEARCHER, WORKER))]

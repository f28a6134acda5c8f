"""FastAPI dependencies: the app's state for a request."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from labeler.http.state import AppState


def get_state(request: Request) -> AppState:
    return request.app.state.pgt


State = Annotated[AppState, Depends(get_state)]

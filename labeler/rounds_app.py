"""Wire issue 6 into the app: tokens, the rounds machinery, the worker protocol, the researcher API and page.

One call from `labeler.server.create_app`, made before `labeler.api`'s router is included so
that the token-protected job routes here take precedence over the open ones there.
"""
from __future__ import annotations

from fastapi import FastAPI

from labeler import jobs_api, researcher_api, researcher_ui
from labeler.auth import Tokens
from labeler.rounds import Rounds
from labeler.state import AppState


def install(app: FastAPI, state: AppState) -> None:
    app.state.tokens = Tokens.load_or_create(state.config.data_dir)
    app.state.rounds = Rounds(state)
    app.state.workers = jobs_api.Workers()
    app.include_router(jobs_api.router)
    app.include_router(researcher_api.router)
    app.include_router(researcher_ui.router)
    app.state.rounds.reconcile()  # results that arrived just before the app last stopped

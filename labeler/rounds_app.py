"""Wire the researcher side into the app: tokens, the rounds machinery, the worker protocol, the researcher
API and page, annotator quality and exports.

One call from `labeler.server.create_app`, made before `labeler.api`'s router is included so
that the worker protocol's job routes here take precedence over the job routes there.
"""
from __future__ import annotations

from fastapi import Depends, FastAPI

from labeler import export_api, jobs_api, quality_api, researcher_api, researcher_ui
from labeler.auth import RESEARCHER, Tokens, require
from labeler.rounds import Rounds
from labeler.state import AppState


def install(app: FastAPI, state: AppState) -> None:
    app.state.tokens = Tokens.load_or_create(state.config.data_dir)
    app.state.rounds = Rounds(state)
    app.state.workers = jobs_api.Workers()
    app.include_router(jobs_api.router)
    app.include_router(researcher_api.router)
    app.include_router(researcher_ui.router)
    # Annotator quality (dashboard, gold/repeat checks, adjudication) and exports are researcher tools.
    researcher_only = [Depends(require(RESEARCHER))]
    app.include_router(quality_api.router, dependencies=researcher_only)
    app.include_router(export_api.router, dependencies=researcher_only)
    app.state.rounds.reconcile()  # results that arrived just before the app last stopped

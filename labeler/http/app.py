"""`create_app(config)`: one FastAPI app that owns the store and serves /api, /static, the pages and the UI.

Routes are matched in order: /api (one router per resource), the pages (/annotate, /researcher,
/quality), /static (our files, falling back to Gradio's own static files, which Gradio also
expects under /static) and the Gradio UI at /. Without the UI (`--no-ui`, `AppConfig.ui=False`)
Gradio is never imported, which saves seconds per start.

Lifecycle: the store opens in `create_app`; on startup the bootstrap thread and the configured
services (e.g. the local worker) start; on shutdown they stop and the store checkpoints and
closes, so a clean exit leaves no WAL behind.
"""
from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import Any, AsyncIterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from labeler.config import AppConfig
from labeler.errors import FieldInvalid, StoreError
from labeler.http import pages
from labeler.http.auth import RESEARCHERS
from labeler.http.request_guard import RequestGuard
from labeler.http.routers import (
    answers,
    artifacts,
    export,
    jobs,
    labels,
    latents,
    overview,
    pairs,
    plots,
    quality,
    rounds,
    session,
    status,
    tasks,
    trajectories,
    videos,
)
from labeler.http.security import BrowserGuard
from labeler.http.state import AppState

log = logging.getLogger(__name__)
ROUTERS = (status, session, tasks, pairs, labels, answers, artifacts, trajectories, videos, latents, rounds, jobs,
           plots, overview, quality, export)


class LayeredStatic(StaticFiles):
    """Our static directory first, then extra ones (Gradio serves fonts and js under /static too)."""

    def __init__(self, directories: list[Path]) -> None:
        super().__init__(directory=directories[0])
        self.all_directories = [str(d) for d in directories if d.is_dir()]


def _gradio() -> Any:
    """Import Gradio (seconds; only for the UI at /) without its usage analytics."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio

    return gradio


def create_app(config: AppConfig) -> FastAPI:
    state = AppState.open(config)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state.bootstrapper.start()
        started = []
        try:
            for service in config.services:
                service.start(state.store, config.data_dir, config.base_url)
                started.append(service)
            yield
        finally:
            for service in reversed(started):
                try:
                    service.stop()
                except Exception:  # noqa: BLE001 - never keep the store from closing
                    log.exception("stopping %r failed", service)
            state.bootstrapper.stop()
            state.store.close()

    # The API's own description is the researcher's: annotators have no use for it.
    app = FastAPI(title="PGT Studio", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.pgt = state

    @app.get("/openapi.json", include_in_schema=False, dependencies=RESEARCHERS)
    def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, dependencies=RESEARCHERS)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="PGT Studio API")

    @app.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError) -> JSONResponse:
        detail = exc.detail() if isinstance(exc, FieldInvalid) else exc.message
        return JSONResponse({"detail": detail}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        """Which field and what is allowed; never the input itself (it may be huge, or someone's secret)."""
        return JSONResponse({"detail": [{k: e[k] for k in ("type", "loc", "msg") if k in e} for e in exc.errors()]},
                            status_code=422)

    app.add_middleware(RequestGuard)
    app.add_middleware(BrowserGuard)  # added last: runs first

    for module in ROUTERS:
        app.include_router(module.router)
    app.include_router(pages.router)
    static = [pages.STATIC_DIR]
    if config.ui:  # Gradio's own files are served under /static too
        static.append(Path(_gradio().__file__).parent / "templates" / "frontend" / "static")
    app.mount("/static", LayeredStatic(static), name="static")
    state.rounds.reconcile()  # results that arrived just before the app last stopped
    if config.ui:
        from labeler.http.ui import CSS, HEAD, build_ui, theme

        app = _gradio().mount_gradio_app(app, build_ui(), path="/", head=HEAD, css=CSS, theme=theme(),
                                         ssr_mode=False, footer_links=[], show_error=True)
    return app

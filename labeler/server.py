"""`create_app(config)`: one FastAPI app that owns the store and serves /api, /static and the UI.

Routes are matched in order: /api (labeler.api), /static (our files, falling back to
Gradio's own static files, which Gradio also expects under /static), /annotate (the
annotator alone, without Gradio, for the lightest page) and the Gradio UI at /. Without the
UI (`--no-ui`, `AppConfig.ui=False`) Gradio is never imported, which saves seconds per start.

Lifecycle: the store opens in `create_app`; on startup the bootstrap thread and the
configured services (e.g. the issue-6 worker) start; on shutdown they stop and the store
checkpoints and closes, so a clean exit leaves no WAL behind.
"""
from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import Any, AsyncIterator

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from labeler import api, rounds_app
from labeler.config import AppConfig
from labeler.errors import StoreError
from labeler.state import AppState

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).resolve().parent / "static"


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


def _gradio_static_dir() -> Path:
    return Path(_gradio().__file__).parent / "templates" / "frontend" / "static"


def create_app(config: AppConfig) -> FastAPI:
    state = AppState.open(config)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state.bootstrapper.start()
        started = []
        try:
            for service in config.services:
                service.start(state, config.base_url)
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

    app = FastAPI(title="PGT Studio", lifespan=lifespan)
    app.state.pgt = state

    @app.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError) -> JSONResponse:
        return JSONResponse({"detail": exc.message}, status_code=exc.status_code)

    rounds_app.install(app, state)  # first: its token-protected job routes take precedence over api's
    app.include_router(api.router)
    # Gradio (a slow import) only when its page is mounted: --no-ui serves our own static files alone.
    app.mount("/static", LayeredStatic([STATIC_DIR, *([_gradio_static_dir()] if config.ui else [])]), name="static")

    @app.get("/annotate", include_in_schema=False)
    def annotate_page() -> FileResponse:
        return FileResponse(STATIC_DIR / "annotator" / "index.html", headers={"Cache-Control": "no-cache"})

    if config.ui:
        from labeler.ui import CSS, HEAD, build_ui, theme

        app = _gradio().mount_gradio_app(app, build_ui(), path="/", head=HEAD, css=CSS, theme=theme(),
                                         ssr_mode=False, footer_links=[], show_error=True)
    return app

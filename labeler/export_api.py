"""Export over HTTP: an APIRouter the server includes (`app.include_router(export_api.router)`).

Why endpoints as well as the CLI: while the app runs it owns the DuckDB file, so a
researcher's notebook downloads exports from here (or `python -m labeler.export` does it
for them). Every endpoint takes `task` (name or id; all tasks when absent).

  GET  /api/export/labels.jsonl | labels.parquet     one row per label, full provenance
  GET  /api/export/pairs.jsonl  | pairs.parquet      one row per pair, with its label count
  GET  /api/export/chosen_rejected.jsonl             one object per decisive label
  GET  /api/export/latents.jsonl                     every latent of the task(s), as documents
  GET  /api/export/latents/{latent_id}.json          one latent document (format pgt-latent/1)
  POST /api/export/latents/import?task=              body: a latent document -> the new Latent (201)
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.background import BackgroundTask

from labeler.errors import Invalid, NotFound
from labeler.export import (
    LABEL_COLUMNS,
    PAIR_COLUMNS,
    StoreSource,
    chosen_rejected,
    import_latent,
    jsonl_text,
    label_rows,
    latent_document,
    latent_documents,
    pair_rows,
    write_parquet,
)

router = APIRouter(prefix="/api/export", tags=["export"])
JSONL = "application/x-ndjson"


def _source(request: Request) -> StoreSource:
    st = request.app.state.pgt
    return StoreSource(st.store, st.artifacts.root)


def _rows(fn: Any, request: Request, task: str | None) -> list[dict[str, Any]]:
    try:
        return fn(_source(request), task)
    except KeyError as exc:
        raise NotFound(str(exc.args[0])) from None


def _jsonl(rows: list[dict[str, Any]], name: str) -> Response:
    return Response(jsonl_text(rows), media_type=JSONL, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _parquet(rows: list[dict[str, Any]], columns: dict[str, str], name: str) -> FileResponse:
    tmpdir = tempfile.mkdtemp(prefix="pgt-export-")
    path = write_parquet(rows, Path(tmpdir) / name, columns)

    def cleanup() -> None:
        path.unlink(missing_ok=True)
        Path(tmpdir).rmdir()

    return FileResponse(path, media_type="application/vnd.apache.parquet", filename=name,
                        background=BackgroundTask(cleanup))


@router.get("/labels.jsonl")
def labels_jsonl(request: Request, task: str | None = None) -> Response:
    return _jsonl(_rows(label_rows, request, task), "labels.jsonl")


@router.get("/labels.parquet")
def labels_parquet(request: Request, task: str | None = None) -> FileResponse:
    return _parquet(_rows(label_rows, request, task), LABEL_COLUMNS, "labels.parquet")


@router.get("/pairs.jsonl")
def pairs_jsonl(request: Request, task: str | None = None) -> Response:
    return _jsonl(_rows(pair_rows, request, task), "pairs.jsonl")


@router.get("/pairs.parquet")
def pairs_parquet(request: Request, task: str | None = None) -> FileResponse:
    return _parquet(_rows(pair_rows, request, task), PAIR_COLUMNS, "pairs.parquet")


@router.get("/chosen_rejected.jsonl")
def chosen_rejected_jsonl(request: Request, task: str | None = None) -> Response:
    return _jsonl(chosen_rejected(_rows(label_rows, request, task)), "chosen_rejected.jsonl")


@router.get("/latents.jsonl")
def latents_jsonl(request: Request, task: str | None = None) -> Response:
    return _jsonl(_rows(latent_documents, request, task), "latents.jsonl")


@router.get("/latents/{latent_id}.json")
def latent_json(latent_id: int, request: Request) -> dict[str, Any]:
    return latent_document(_source(request), latent_id)


@router.post("/latents/import", status_code=201)
def latent_import(doc: dict[str, Any], request: Request, task: str | None = None) -> JSONResponse:
    try:
        row = import_latent(_source(request), doc, task=task)
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    except KeyError as exc:
        raise NotFound(str(exc.args[0])) from None
    return JSONResponse(row, status_code=201)

"""Export over HTTP [researcher].

Why endpoints as well as the CLI: while the app runs it owns the DuckDB file, so a
researcher's notebook downloads exports from here (or `python -m labeler.export` does it
for them). Every endpoint takes `task` (name or id; all tasks when absent).

  GET  /api/export/labels.jsonl | labels.parquet     one row per label, full provenance
  GET  /api/export/pairs.jsonl  | pairs.parquet      one row per pair, with its label count
  GET  /api/export/answers.jsonl | answers.parquet  one row per answer to a question (per-episode, best-of-K)
  GET  /api/export/chosen_rejected.jsonl             one object per live decisive label
  GET  /api/export/tuning_pairs.jsonl                what a tune job of the task(s) would read now
  GET  /api/export/latents.jsonl                     every latent of the task(s), as documents
  GET  /api/export/latents/{latent_id}.json          one latent document (format pgt-latent/1)
  POST /api/export/latents/import?task=              body: a latent document -> the new Latent (201)
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from labeler.errors import Invalid, NotFound
from labeler.export.files import jsonl_text, write_parquet
from labeler.export.latents import import_latent, latent_document, latent_documents
from labeler.export.rows import (
    ANSWER_COLUMNS,
    LABEL_COLUMNS,
    PAIR_COLUMNS,
    answer_rows,
    chosen_rejected,
    label_rows,
    pair_rows,
    tuning_pair_rows,
)
from labeler.export.sources import StoreSource
from labeler.http.auth import RESEARCHERS
from labeler.http.deps import get_state
from labeler.http.schemas.common import ERRORS
from labeler.http.schemas.latents import LatentDocument, LatentWithVector

router = APIRouter(prefix="/api/export", tags=["export"], dependencies=RESEARCHERS, responses=ERRORS)
JSONL = "application/x-ndjson"
PARQUET = "application/vnd.apache.parquet"
JSONL_FILE: dict[int | str, dict[str, Any]] = {200: {"content": {JSONL: {}}, "description": "one JSON object per line"}}
PARQUET_FILE: dict[int | str, dict[str, Any]] = {200: {"content": {PARQUET: {}}, "description": "a Parquet file"}}


def _source(request: Request) -> StoreSource:
    st = get_state(request)
    return StoreSource(st.store, st.artifacts.root)


def _rows(fn: Any, request: Request, task: str | None) -> list[dict[str, Any]]:
    try:
        return fn(_source(request), task)
    except KeyError as exc:
        raise NotFound(str(exc.args[0])) from None


def _jsonl(rows: list[dict[str, Any]], name: str) -> Response:
    return Response(jsonl_text(rows), media_type=JSONL,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _parquet(rows: list[dict[str, Any]], columns: dict[str, str], name: str) -> FileResponse:
    tmpdir = tempfile.mkdtemp(prefix="pgt-export-")
    path = write_parquet(rows, Path(tmpdir) / name, columns)

    def cleanup() -> None:
        path.unlink(missing_ok=True)
        Path(tmpdir).rmdir()

    return FileResponse(path, media_type=PARQUET, filename=name,
                        background=BackgroundTask(cleanup))


@router.get("/labels.jsonl", response_class=Response, responses=JSONL_FILE)
def labels_jsonl(request: Request, task: str | None = None) -> Response:
    return _jsonl(_rows(label_rows, request, task), "labels.jsonl")


@router.get("/labels.parquet", response_class=FileResponse, responses=PARQUET_FILE)
def labels_parquet(request: Request, task: str | None = None) -> FileResponse:
    return _parquet(_rows(label_rows, request, task), LABEL_COLUMNS, "labels.parquet")


@router.get("/pairs.jsonl", response_class=Response, responses=JSONL_FILE)
def pairs_jsonl(request: Request, task: str | None = None) -> Response:
    return _jsonl(_rows(pair_rows, request, task), "pairs.jsonl")


@router.get("/pairs.parquet", response_class=FileResponse, responses=PARQUET_FILE)
def pairs_parquet(request: Request, task: str | None = None) -> FileResponse:
    return _parquet(_rows(pair_rows, request, task), PAIR_COLUMNS, "pairs.parquet")


@router.get("/answers.jsonl", response_class=Response, responses=JSONL_FILE)
def answers_jsonl(request: Request, task: str | None = None) -> Response:
    return _jsonl(_rows(answer_rows, request, task), "answers.jsonl")


@router.get("/answers.parquet", response_class=FileResponse, responses=PARQUET_FILE)
def answers_parquet(request: Request, task: str | None = None) -> FileResponse:
    return _parquet(_rows(answer_rows, request, task), ANSWER_COLUMNS, "answers.parquet")


@router.get("/tuning_pairs.jsonl", response_class=Response, responses=JSONL_FILE)
def tuning_pairs_jsonl(request: Request, task: str | None = None) -> Response:
    return _jsonl(_rows(tuning_pair_rows, request, task), "tuning_pairs.jsonl")


@router.get("/chosen_rejected.jsonl", response_class=Response, responses=JSONL_FILE)
def chosen_rejected_jsonl(request: Request, task: str | None = None) -> Response:
    return _jsonl(chosen_rejected(_rows(label_rows, request, task)), "chosen_rejected.jsonl")


@router.get("/latents.jsonl", response_class=Response, responses=JSONL_FILE)
def latents_jsonl(request: Request, task: str | None = None) -> Response:
    return _jsonl(_rows(latent_documents, request, task), "latents.jsonl")


@router.get("/latents/{latent_id}.json", response_model=LatentDocument)
def latent_json(latent_id: int, request: Request) -> dict[str, Any]:
    return latent_document(_source(request), latent_id)


@router.post("/latents/import", status_code=201, response_model=LatentWithVector)
def latent_import(doc: dict[str, Any], request: Request, task: str | None = None) -> dict[str, Any]:
    try:
        row = import_latent(_source(request), doc, task=task)
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    except KeyError as exc:
        raise NotFound(str(exc.args[0])) from None
    return row

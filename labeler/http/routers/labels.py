"""Labels: posting one [open] (idempotent on submission_id) and reading them [researcher|worker]."""
from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from labeler.http.auth import TOKEN_HOLDERS, labelling_as
from labeler.http.deps import State
from labeler.http.schemas.common import ERRORS, acknowledged
from labeler.http.schemas.pairs import Label, LabelAck, LabelIn, LabelRow

router = APIRouter(prefix="/api/labels", tags=["labels"], responses=ERRORS)


@router.post("", status_code=201, response_model=LabelAck,
             responses={200: {"model": LabelAck, "description": "a resend of a stored label: nothing written"}})
def add_label(body: LabelIn, request: Request, st: State) -> JSONResponse:
    """201 with the new label; resending the same submission_id answers 200 with the stored one (created: false)."""
    who = labelling_as(request, body.annotator)
    label, created = st.annotating.add_label(**{**body.model_dump(), "annotator": who})
    return acknowledged(LabelAck(label=Label.model_validate(label), created=created), created)


@router.get("", response_model=list[LabelRow], dependencies=TOKEN_HOLDERS)
def list_labels(st: State, task_id: int | None = None, annotator: str | None = None, after_id: int = 0,
                limit: int = Query(1000, ge=1, le=10_000), include_undone: bool = False) -> list[dict]:
    """In id order; page with `after_id`. `include_undone` adds labels their authors took back (the audit)."""
    return st.store.labels.list(task_id, annotator, after_id, limit, include_undone)

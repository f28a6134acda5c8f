"""What annotators are served and send: the next item of any mode [open], answers to questions [open], undo [open];
reading answers [researcher|worker].

  GET  /api/next?task_id&annotator&client&exclude=p3,q7     the next pair or question, leased to this tab
  POST /api/answers {"submission_id", "question_id", "annotator", "answer", "shown", ...}   (idempotent)
  POST /api/undo {"submission_id", "annotator"}   one's own label or answer, until tuning has read it
"""
from __future__ import annotations

import re

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from labeler.errors import Invalid
from labeler.http.auth import TOKEN_HOLDERS, labelling_as
from labeler.http.deps import State
from labeler.http.schemas.answers import Answer, AnswerAck, AnswerIn, AnswerRow, NextItem, UndoIn, Undone
from labeler.http.schemas.common import ERRORS, acknowledged

router = APIRouter(prefix="/api", tags=["answers"], responses=ERRORS)
MAX_EXCLUDE = 100
_ITEM = re.compile(r"^[pq][0-9]{1,12}$")


def item_ids(text: str) -> set[str]:
    """`exclude` as item ids ("p3,q7"); a bare number means a pair (what older pages send)."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if len(parts) > MAX_EXCLUDE:
        raise Invalid(f"exclude lists at most {MAX_EXCLUDE} items")
    items = {f"p{p}" if p.isdigit() else p for p in parts}
    if not all(_ITEM.match(i) for i in items):
        raise Invalid("exclude must be comma-separated item ids such as p3,q7")
    return items


@router.get("/next", response_model=NextItem)
def next_item(request: Request, st: State, task_id: int, annotator: str, exclude: str = "",
              client: str = Query("", max_length=64)) -> dict:
    """Reserves the item for `annotator` in this tab (a lease) so others are not sent it beyond k."""
    address = request.client.host if request.client else ""
    who = labelling_as(request, annotator)
    return {**st.annotating.next_item(task_id, who, item_ids(exclude), client, address), "fps": st.config.video_fps}


@router.post("/answers", status_code=201, response_model=AnswerAck,
             responses={200: {"model": AnswerAck, "description": "a resend of a stored answer: nothing written"}})
def add_answer(body: AnswerIn, request: Request, st: State) -> JSONResponse:
    """201 with the new answer; resending the same submission_id answers 200 with the stored one."""
    who = labelling_as(request, body.annotator)
    row, created = st.annotating.add_answer(**{**body.model_dump(), "annotator": who})
    return acknowledged(AnswerAck(answer=Answer.model_validate(row), created=created), created)


@router.post("/undo", response_model=Undone)
def undo(body: UndoIn, request: Request, st: State) -> dict:
    """403 for someone else's answer; 409 once tuning has read it (it then counts for good)."""
    return st.annotating.undo(body.submission_id, labelling_as(request, body.annotator))


@router.get("/answers", response_model=list[AnswerRow], dependencies=TOKEN_HOLDERS)
def list_answers(st: State, task_id: int, include_undone: bool = False) -> list[dict]:
    return st.store.answers.list(task_id, include_undone)

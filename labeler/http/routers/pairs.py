"""Pairs: the annotator's next pair [open]; listing [researcher|worker]; adding [researcher]."""
from __future__ import annotations

from fastapi import APIRouter, Query, Request

from labeler.http.auth import RESEARCHERS, TOKEN_HOLDERS, labelling_as
from labeler.http.deps import State
from labeler.http.routers.answers import item_ids
from labeler.http.schemas.common import ERRORS
from labeler.http.schemas.pairs import NextPair, Pair, PairsIn, PairWithCount

router = APIRouter(prefix="/api/pairs", tags=["pairs"], responses=ERRORS)
@router.get("/next", response_model=NextPair)
def next_pair(request: Request, st: State, task_id: int, annotator: str, exclude: str = "",
              client: str = Query("", max_length=64)) -> dict:
    """Pairs only (GET /api/next serves every mode). Reserves the pair for `annotator` in this tab (a lease) so
    others are not sent it beyond k; `exclude` lists pairs the tab already holds (current, prefetched, unsent
    labels); `client` is the tab's own id (kept by the page for the tab's life), so one person's two tabs are
    sent different pairs."""
    address = request.client.host if request.client else ""
    who = labelling_as(request, annotator)
    served = st.annotating.next_item(task_id, who, item_ids(exclude), client, address, kinds="p")
    return {"pair": served["item"], "progress": served["progress"], "fps": st.config.video_fps}


@router.get("", response_model=list[PairWithCount], dependencies=TOKEN_HOLDERS)
def list_pairs(st: State, task_id: int) -> list[dict]:
    return st.store.pairs.list(task_id)


@router.get("/{pair_id}", response_model=Pair, dependencies=TOKEN_HOLDERS)
def get_pair(pair_id: int, st: State) -> dict:
    return st.store.pairs.get(pair_id)


@router.post("", status_code=201, response_model=list[Pair], dependencies=RESEARCHERS)
def add_pairs(body: PairsIn, st: State) -> list[dict]:
    """Only the pairs that were new."""
    return st.store.pairs.add(body.task_id, body.pairs, body.round_id, body.source)

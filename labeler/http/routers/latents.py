"""Latents: adding one [researcher], reading [researcher|worker]; rounds of a task as stored [researcher|worker].

Rounds are started and advanced through the researcher API (labeler.http.routers.researcher).
"""
from __future__ import annotations

from fastapi import APIRouter

from labeler.http.auth import RESEARCHERS, TOKEN_HOLDERS
from labeler.http.deps import State
from labeler.http.schemas.common import ERRORS
from labeler.http.schemas.latents import Latent, LatentIn, LatentWithVector
from labeler.http.schemas.rounds import Round

router = APIRouter(prefix="/api", tags=["latents"], responses=ERRORS)


@router.post("/latents", status_code=201, response_model=LatentWithVector, dependencies=RESEARCHERS)
def add_latent(body: LatentIn, st: State) -> dict:
    return st.store.latents.add(body.task_id, body.vector, body.source, body.parent_id, body.meta)


@router.get("/latents/{latent_id}", response_model=LatentWithVector, dependencies=TOKEN_HOLDERS)
def get_latent(latent_id: int, st: State) -> dict:
    return st.store.latents.get(latent_id)


@router.get("/tasks/{task_id}/latents", response_model=list[Latent], dependencies=TOKEN_HOLDERS)
def list_latents(task_id: int, st: State) -> list[dict]:
    return st.store.latents.list(task_id)


@router.get("/tasks/{task_id}/rounds", response_model=list[Round], dependencies=TOKEN_HOLDERS)
def list_rounds(task_id: int, st: State) -> list[dict]:
    st.store.tasks.get(task_id)
    return st.store.rounds.list(task_id)

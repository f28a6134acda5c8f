"""Latents: adding one [researcher], reading [researcher|worker], and the task's latent library [researcher].

  POST /api/latents                               GET /api/latents/{id}     GET /api/tasks/{id}/latents
  POST /api/researcher/latents/{id}/promote       make it the task's active latent
  POST /api/researcher/tasks/{id}/rollback        back to the latent promoted before
  GET  /api/researcher/latents/compare?ids=1,2,3  norms, cosines and distances
"""
from __future__ import annotations

from fastapi import APIRouter

from labeler.errors import Invalid
from labeler.http.auth import RESEARCHERS, TOKEN_HOLDERS
from labeler.http.deps import State
from labeler.http.schemas.common import ERRORS
from labeler.http.schemas.latents import ActiveLatent, Comparison, Latent, LatentIn, LatentWithVector

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


@router.post("/researcher/tasks/{task_id}/rollback", response_model=ActiveLatent, dependencies=RESEARCHERS)
def rollback(task_id: int, st: State) -> dict:
    return st.library.rollback(task_id)


@router.post("/researcher/latents/{latent_id}/promote", response_model=ActiveLatent, dependencies=RESEARCHERS)
def promote_latent(latent_id: int, st: State) -> dict:
    return st.library.promote(latent_id)


@router.get("/researcher/latents/compare", response_model=Comparison, dependencies=RESEARCHERS)
def compare(st: State, ids: str) -> dict:
    try:
        wanted = [int(x) for x in ids.split(",") if x.strip()]
    except ValueError:
        raise Invalid("ids must be comma-separated latent ids") from None
    return st.library.compare(wanted)

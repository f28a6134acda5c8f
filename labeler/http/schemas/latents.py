"""Latents: each task's z0 and tuned latents."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from labeler.http.schemas.common import Model


class LatentIn(BaseModel):
    task_id: int
    vector: list[float]
    source: str = "tuned"
    parent_id: int | None = None
    meta: dict[str, Any] | None = None


class Latent(Model):
    id: int
    task_id: int
    source: str
    parent_id: int | None
    meta: dict[str, Any] | None
    created_at: str


class LatentWithVector(Latent):
    vector: list[float]

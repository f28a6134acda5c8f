"""Latents: each task's z0 and tuned latents, the library the researcher promotes from, and latent documents."""
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


class LibraryLatent(Latent):
    norm: float
    active: bool
    success_rate: float | None
    round: int | None


class ActiveLatent(Model):
    task_id: int
    active_latent_id: int | None
    rolled_back: int | None = None


class Comparison(Model):
    latents: list[dict[str, Any]]
    norm: list[float]
    cosine: list[list[float]]
    l2: list[list[float]]


class LatentDocument(Model):
    """A latent with its task, lineage and metadata (format pgt-latent/1)."""

    format: str
    dim: int
    vector: list[float]
    z_id: str | None = None
    latent: dict[str, Any] | None
    task: dict[str, Any] | None
    exported_at: str | None = None

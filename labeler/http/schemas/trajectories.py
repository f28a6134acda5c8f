"""Trajectories (episode metadata), artifacts and how an episode is shown."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from labeler.http.schemas.common import Model


class TrajectoryIn(BaseModel):
    id: str
    task_id: int
    round_id: int | None = None
    latent_id: int | None = None


class Trajectory(Model):
    id: str
    task_id: int
    round_id: int | None
    latent_id: int | None
    seed: int
    length: int
    reward: float
    success: bool
    events: list[list[Any]]
    artifact: str
    meta: dict[str, Any] | None
    created_at: str


class EpisodeView(Model):
    """An episode as a page shows it; the outcome fields are absent where the viewer may not see them."""

    id: str
    video_url: str
    length: int
    reward: float | None = None
    success: bool | None = None
    events: list[list[Any]] | None = None
    seed: int | None = None
    latent_id: int | None = None


class ArtifactStored(Model):
    name: str
    bytes: int

"""Tasks and the annotator's progress."""
from __future__ import annotations

from pydantic import BaseModel, Field

from labeler.http.schemas.common import Model


class TaskIn(BaseModel):
    name: str
    achievement: str
    max_steps: int = Field(gt=0, le=100_000)
    description: str = ""
    env: str = "crafter"


class Task(Model):
    id: int
    name: str
    env: str
    achievement: str
    max_steps: int
    description: str
    created_at: str


class TaskWithCounts(Task):
    n_trajectories: int
    n_pairs: int
    n_labels: int


class Progress(Model):
    """`done`/`total` are this annotator's: labelled or skipped / that plus pairs still open to them."""

    done: int
    total: int
    pairs: int
    complete: int
    k: int


class Status(Model):
    ready: bool
    bootstrap: dict | None
    schema_version: int
    labels_per_pair: int
    annotators: str  # "open" (type a name) or "invite" (by a researcher's invite link)

"""Pairs, the annotator's next pair, and labels."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from labeler.http.schemas.common import Model
from labeler.http.schemas.tasks import Progress
from labeler.http.schemas.trajectories import EpisodeView


class PairsIn(BaseModel):
    task_id: int
    round_id: int | None = None
    source: str = "human"
    pairs: list[tuple[str, str]]


class Pair(Model):
    id: int
    task_id: int
    round_id: int | None
    traj_a: str
    traj_b: str
    source: str
    created_at: str


class PairWithCount(Pair):
    n_labels: int


class PairView(Model):
    """A pair as shown: sides randomised per request (the label records the order shown)."""

    id: int
    task_id: int
    round_id: int | None
    target: str | None = None  # the achievement, only on tasks with hints on
    max_steps: int
    left: EpisodeView
    right: EpisodeView


class NextPair(Model):
    pair: PairView | None
    progress: Progress
    fps: int


class LabelIn(BaseModel):
    submission_id: str = Field(min_length=8, max_length=128)
    pair_id: int
    annotator: str
    choice: Literal["left", "right", "tie", "both_bad", "skip"]
    left_traj: str
    right_traj: str
    time_spent_ms: int | None = Field(default=None, ge=0, le=86_400_000)
    playback_rate: float | None = Field(default=None, ge=0.05, le=16)


class Label(Model):
    id: int
    submission_id: str
    pair_id: int
    annotator: str
    choice: str
    left_traj: str
    right_traj: str
    preferred: str | None
    time_spent_ms: int | None
    playback_rate: float | None = None
    created_at: str
    undone_at: str | None = None
    undo_reason: str | None = None


class LabelRow(Label):
    """A label with its pair's task, round and trajectories (what exports and analyses read)."""

    task_id: int
    round_id: int | None
    traj_a: str
    traj_b: str
    pair_source: str


class LabelAck(Model):
    label: Label
    created: bool

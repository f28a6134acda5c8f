"""Annotator quality: the dashboard summary, gold/repeat checks, adjudication."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from labeler.http.schemas.common import Model
from labeler.http.schemas.trajectories import EpisodeView


class Summary(Model):
    task_id: int
    round_id: int | None
    n_labels: int
    alpha: float | None
    alpha_by_task_round: list[dict[str, Any]]
    position_bias: dict[str, Any]
    throughput: dict[str, Any]
    annotators: list[dict[str, Any]]
    hourly: list[dict[str, Any]]
    disagreements: list[dict[str, Any]]
    checks: dict[str, int]


class ChecksIn(BaseModel):
    task_id: int
    round_id: int | None = None
    n_gold: int = Field(5, ge=0, le=1000)
    n_repeats: int = Field(5, ge=0, le=1000)
    min_reward_gap: float = Field(0.5, ge=0)


class Check(Model):
    pair_id: int
    task_id: int
    kind: str
    expected: str | None
    original_pair_id: int | None
    created_at: str


class PlantedChecks(Model):
    gold: list[Check]
    repeats: list[Check]


class Adjudication(Model):
    id: int
    pair_id: int
    task_id: int
    round_id: int | None
    decision: str
    preferred: str | None
    researcher: str
    note: str | None
    created_at: str


class Disputed(Model):
    """A pair whose annotators disagree, with both rollouts and the latest decision on it."""

    pair_id: int
    task_id: int | None
    round_id: int | None
    traj_a: str
    traj_b: str
    votes: dict[str, list[str]]
    majority: str | None
    agreement: float
    a: EpisodeView
    b: EpisodeView
    resolution: Adjudication | None


class AdjudicationIn(BaseModel):
    pair_id: int
    decision: Literal["a", "b", "tie", "both_bad", "discard"]
    researcher: str
    note: str | None = Field(default=None, max_length=2000)


class Resolved(Model):
    pair_id: int
    task_id: int | None
    round_id: int | None
    traj_a: str
    traj_b: str
    outcome: str
    preferred: str | None
    rejected: str | None
    n_labels: int
    source: str


class TuningPair(Model):
    """One pair as a tune job receives it: `chosen` over `rejected` (label "left"), or a tie / both_bad that
    carries no DPO gradient; pairs of one answer share `group` and their weights sum to its decisions."""

    chosen: str
    rejected: str
    label: str
    group: str | None
    weight: float

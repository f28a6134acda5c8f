"""Jobs and the worker protocol."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from labeler.http.schemas.common import Model


class JobIn(BaseModel):
    kind: str
    task_id: int | None = None
    payload: dict[str, Any] | None = None
    max_attempts: int = Field(default=3, ge=1, le=100)


class Job(Model):
    id: int
    kind: str
    task_id: int | None
    payload: dict[str, Any] | None
    status: str
    worker: str | None
    attempts: int
    max_attempts: int
    progress: float
    message: str | None
    result: dict[str, Any] | None
    error: str | None
    created_at: str
    claimed_at: str | None
    heartbeat_at: str | None
    finished_at: str | None


class JobSummary(Model):
    """A job without its payload (which can hold thousands of labels and three latents)."""

    id: int
    kind: str
    task_id: int | None
    status: str
    worker: str | None
    attempts: int
    max_attempts: int
    progress: float
    message: str | None
    error: str | None
    created_at: str
    claimed_at: str | None
    heartbeat_at: str | None
    finished_at: str | None
    round_id: int | None
    step: str | None
    log_tail: list[str] | None = None


class JobLog(Model):
    id: int
    job_id: int
    attempt: int
    worker: str | None
    message: str
    created_at: str


class ClaimIn(BaseModel):
    worker: str
    kinds: list[str] | None = None
    info: dict[str, Any] = Field(default_factory=dict)


class Claimed(Model):
    """The claimed job and its attempt's lease token (send it with every heartbeat, upload and report)."""

    job: Job | None
    lease: str | None = None


class HeartbeatIn(BaseModel):
    worker: str
    lease: str
    progress: float | None = None
    message: str | None = None
    logs: list[str] = Field(default_factory=list)


class CompleteIn(BaseModel):
    worker: str
    lease: str
    result: dict[str, Any] = Field(default_factory=dict)


class FailIn(BaseModel):
    worker: str
    lease: str
    error: str
    retry: bool = True
    logs: list[str] = Field(default_factory=list)

"""The researcher's start page: every task at a glance, the workers, what a new task can use."""
from __future__ import annotations

from typing import Any

from labeler.domain.round_config import RoundConfig
from labeler.http.schemas.common import Model
from labeler.http.schemas.tasks import TaskWithCounts


class OverviewTask(TaskWithCounts):
    active_latent_id: int | None
    round: int | None
    status: str | None


class Overview(Model):
    tasks: list[OverviewTask]
    workers: list[dict[str, Any]]
    achievements: list[str]
    prompts: list[str]
    presets: dict[str, int]
    defaults: RoundConfig
    policy: str


class WorkerCommand(Model):
    command: str
    note: str

"""Rounds as stored and as the researcher sees them, and the latent library."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from labeler.http.schemas.common import Model
from labeler.http.schemas.jobs import JobSummary
from labeler.http.schemas.latents import Latent
from labeler.http.schemas.tasks import INSTRUCTIONS_MAX, Task, TaskWithCounts
from labeler.http.schemas.trajectories import EpisodeView


class Round(Model):
    id: int
    task_id: int
    latent_id: int | None
    number: int
    status: str
    config: dict[str, Any] | None
    job_id: int | None
    candidate_latent_id: int | None
    result: dict[str, Any] | None
    error: str | None
    created_at: str
    updated_at: str | None


class RoundView(Model):
    id: int
    task_id: int
    number: int
    status: str
    config: dict[str, Any]
    base_latent_id: int | None
    candidate_latent_id: int | None
    error: str | None
    job: JobSummary | None
    rollout_job: JobSummary | None = None  # the candidate's next-round episodes, rolled out during the review
    result: dict[str, Any]
    created_at: str
    updated_at: str | None
    pairs: int
    labels: int
    decisive: int
    # method (success | human | both), success_measured (false: no reward function, success figures are None and
    # comparisons empty), rates with intervals, comparisons (candidate vs start and vs z0), human (the blind A/B),
    # reused (roles whose evaluation was kept from before, not replayed)
    evaluation: dict[str, Any] | None = None
    advice: dict[str, Any] | None = None  # the promote control: button text, needs_confirmation, flag
    questions: int = 0  # per-episode and best-of-K questions of the round
    answers: int = 0  # their live answers (skips excluded)
    rolled_back: bool = False  # promoted, then its latent was rolled back off the task's stack
    base_active: bool = True  # the latent it started from is still the task's active one


class PromoteIn(BaseModel):
    confirm: bool = False  # promote a candidate that did worse than its start anyway


class RoundPlanIn(BaseModel):
    """Round settings to size (the start form's body), optionally people and the minutes each can give."""

    config: dict[str, Any] = Field(default_factory=dict)
    people: int = Field(1, ge=1, le=1_000)
    eval_half_width: float = Field(0.10, gt=0.0, lt=0.5)  # the review's target: +/- this on the change in success


class RoundPlan(Model):
    """What a round of these settings asks of people, before it starts."""

    feedback: str
    episodes: int
    items: int  # pairs or questions
    answers: int  # items x answers each (labels per item, at most one per person)
    people: int
    seconds_per_answer: float
    source: str  # "measured": median of this mode's answers so far; "model": pgt_core.human_time
    measured_answers: int
    episode_frames: int
    minutes: float  # all people together
    minutes_per_person: float
    presets: list[dict[str, Any]]
    evaluation: dict[str, Any] | None = None  # eval episodes -> the review's interval half-width and seconds


class ConfigIn(BaseModel):
    config: dict[str, Any] = Field(default_factory=dict)


class ResearcherTaskIn(BaseModel):
    name: str
    achievement: str = ""  # a Crafter achievement (the reward function), or "" for a task judged by people alone
    max_steps: int = Field(gt=0, le=100_000)
    description: str = ""
    prompt: dict[str, Any] | None = None
    hints: bool = False  # annotators see reward marks; off (blind) by default
    instructions: str = Field("", max_length=INSTRUCTIONS_MAX)  # empty: the default built from the description


class LibraryLatent(Latent):
    norm: float
    active: bool
    success_rate: float | None
    round: int | None


class Promotion(Model):
    id: int
    task_id: int
    latent_id: int
    action: str
    round_id: int | None
    created_at: str


class TaskPage(Model):
    task: Task
    active_latent_id: int | None
    rounds: list[RoundView]
    jobs: list[JobSummary]
    latents: list[LibraryLatent]
    promotions: list[Promotion]


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
    defaults: dict[str, Any]
    policy: str


class ReviewRow(Model):
    seed: int
    before: EpisodeView | None
    after: EpisodeView | None
    outcome: str | None  # for the candidate: win, loss, both, neither


class Rate(Model):
    latent_id: int
    role: str
    success_rate: float | None  # None: the task has no reward function (success_measured false)
    mean_reward: float | None
    n: int | None = None
    interval: dict[str, float] | None = None  # 95% Wilson: low, high, level


class Review(Model):
    round: RoundView
    method: str = "success"  # the round's evaluation: success | human (blind A/B) | both
    success_measured: bool = True  # false: no reward function, so no success figures, tests or outcomes
    seeds: list[int]
    rates: list[Rate]
    comparisons: dict[str, Any]  # vs_start, vs_z0: difference, interval, p_value, significant, verdict, summary
    before_role: str
    counts: dict[str, int]
    total: int  # rows matching the filter
    rows: list[ReviewRow]


class ActiveLatent(Model):
    task_id: int
    active_latent_id: int | None
    rolled_back: int | None = None


class Comparison(Model):
    latents: list[dict[str, Any]]
    norm: list[float]
    cosine: list[list[float]]
    l2: list[list[float]]


class Plots(Model):
    """SVG strings."""

    success: str
    loss: str
    margin: str
    accuracy: str
    epochs: str


class WorkerCommand(Model):
    command: str
    note: str

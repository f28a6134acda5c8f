"""Rounds as stored and as the researcher sees them: settings, results, evaluation, review, the task page."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from labeler.domain.round_config import RoundConfig
from labeler.http.schemas.common import Model, Sparse
from labeler.http.schemas.jobs import JobSummary
from labeler.http.schemas.latents import LibraryLatent
from labeler.http.schemas.tasks import INSTRUCTIONS_MAX, Task
from labeler.http.schemas.trajectories import EpisodeView


class EpisodesStep(Sparse):
    """Episodes a step registered (collect: the round's own; rollout: the candidate's, for the next round)."""

    episodes: int
    reused: int | None = None  # collect: the previous candidate's episodes the round took besides
    success_rate: float | None = None
    error: str | None = None  # why a background rollout brought none


class RoundResult(Sparse):
    """What each finished step left; a key appears once its step is done."""

    collect: EpisodesStep | None = None
    tune: dict[str, Any] | None = None  # the tune job's result without z: losses, accuracies, best_epoch, no_change
    rollout: EpisodesStep | None = None
    eval: dict[str, Any] | None = None  # the evaluate job's result: seeds, per-latent successes, kept review episodes
    failed_step: str | None = None  # the status the round failed in
    reused: dict[str, Any] | None = None  # the previous candidate's episodes (ids, seeds) a collecting round keeps
    ahead: dict[str, Any] | None = None  # the start latents' evaluation while people label: job_id, status, kept


class Interval(Model):
    low: float
    high: float
    level: float


class Rate(Model):
    latent_id: int
    role: str
    success_rate: float | None  # None (with mean_reward and interval): the task has no reward function
    mean_reward: float | None
    n: int | None = None
    interval: Interval | None = None  # 95% Wilson


class Successes(Model):
    successes: int
    n: int
    rate: float
    interval: Interval


class PairedComparison(Model):
    """The candidate against another latent on the same episodes (pgt_core.stats.compare_paired)."""

    n: int
    first: Successes
    second: Successes
    difference: float
    interval: Interval  # Newcombe, for the difference
    p_value: float  # exact McNemar
    only_first: int
    only_second: int
    alpha: float
    significant: bool
    worse_than_start: bool
    verdict: str
    summary: str
    against: str  # the other latent's role: base or prompt


class Comparisons(Sparse):
    vs_start: PairedComparison | None = None
    vs_z0: PairedComparison | None = None


class Evaluation(Model):
    method: str = "success"  # the round's evaluation setting: success | human (the blind A/B) | both
    success_measured: bool = True  # false: no reward function; rates carry no success figures, no comparisons
    rates: list[Rate]
    comparisons: Comparisons
    human: dict[str, Any] | None  # the blind A/B of start against candidate, when people were asked
    reused: list[str] = []  # roles whose evaluation was kept from before (labeler.domain.evaluations), not replayed


class Round(Model):
    id: int
    task_id: int
    latent_id: int | None
    number: int
    status: str
    config: RoundConfig | None
    job_id: int | None
    candidate_latent_id: int | None
    result: RoundResult | None
    error: str | None
    created_at: str
    updated_at: str | None


class RoundView(Model):
    id: int
    task_id: int
    number: int
    status: str
    config: RoundConfig
    base_latent_id: int | None
    candidate_latent_id: int | None
    error: str | None
    job: JobSummary | None
    rollout_job: JobSummary | None = None  # the candidate's next-round episodes, rolled out during the review
    result: RoundResult
    created_at: str
    updated_at: str | None
    pairs: int
    labels: int
    decisive: int
    evaluation: Evaluation | None = None
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


class ReviewRow(Model):
    seed: int
    before: EpisodeView | None
    after: EpisodeView | None
    outcome: str | None  # for the candidate: win, loss, both, neither


class Review(Model):
    round: RoundView
    method: str = "success"  # the round's evaluation: success | human (blind A/B) | both
    success_measured: bool = True  # false: no reward function, so no success figures, tests or outcomes
    seeds: list[int]
    rates: list[Rate]
    comparisons: Comparisons
    before_role: str
    counts: dict[str, int]
    total: int  # rows matching the filter
    rows: list[ReviewRow]


class Plots(Model):
    """SVG strings."""

    success: str
    loss: str
    margin: str
    accuracy: str
    epochs: str

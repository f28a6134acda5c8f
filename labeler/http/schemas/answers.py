"""What annotators are served (an item: a pair, one episode, or K) and what they send back (answers, undo)."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from labeler.http.schemas.common import Model
from labeler.http.schemas.tasks import Progress
from labeler.http.schemas.trajectories import EpisodeView


class ItemView(Model):
    """One item as shown, episodes in a random order (the answer records the order shown).

    kind "pair": `left`/`right`; kind "episode" (per_episode) or "group" (best_of_k): `episodes`.
    `target` (the achievement) is present only on tasks with hints on."""

    kind: Literal["pair", "episode", "group"]
    item: str  # "p<pair id>" or "q<question id>": what `exclude` lists
    mode: Literal["pairwise", "per_episode", "best_of_k"]
    id: int
    task_id: int
    round_id: int | None
    max_steps: int
    target: str | None = None
    left: EpisodeView | None = None
    right: EpisodeView | None = None
    episodes: list[EpisodeView] | None = None


class NextItem(Model):
    item: ItemView | None
    progress: Progress
    fps: int


class AnswerIn(BaseModel):
    """An answer to a question: per_episode {"grade": "good"|"bad"|"unsure"}; best_of_k {"best", "worst"} (either
    or both) or {"order": [[id, ...], ...]} (tiers, best first, every episode once); any mode {"skip": true}."""

    submission_id: str = Field(min_length=8, max_length=128)
    question_id: int
    annotator: str
    answer: dict[str, Any]
    shown: list[str] = Field(max_length=8)  # the episode ids in the order they were on screen
    time_spent_ms: int | None = Field(default=None, ge=0, le=86_400_000)
    playback_rate: float | None = Field(default=None, ge=0.05, le=16)


class Answer(Model):
    id: int
    submission_id: str
    question_id: int
    annotator: str
    answer: dict[str, Any]
    shown: list[str]
    playback_rate: float | None
    time_spent_ms: int | None
    created_at: str
    undone_at: str | None = None
    undo_reason: str | None = None


class AnswerRow(Answer):
    """An answer with its question's task, round, mode and episodes (what exports and analyses read)."""

    task_id: int
    round_id: int | None
    mode: str
    episodes: list[str]
    question_source: str


class AnswerAck(Model):
    answer: Answer
    created: bool


class UndoIn(BaseModel):
    submission_id: str = Field(min_length=8, max_length=128)
    annotator: str


class Undone(Model):
    """The answer taken back: still on record, marked `undone_at`; the item is open to its author again."""

    kind: Literal["label", "answer"]
    submission_id: str
    task_id: int
    annotator: str
    undone_at: str | None
    undo_reason: str | None

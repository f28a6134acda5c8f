"""Tasks and the annotator's progress."""
from __future__ import annotations

from pydantic import BaseModel, Field

from labeler.http.schemas.common import Model

INSTRUCTIONS_MAX = 4000


class TaskIn(BaseModel):
    name: str
    achievement: str
    max_steps: int = Field(gt=0, le=100_000)
    description: str = ""
    env: str = "crafter"
    hints: bool = False
    instructions: str = Field("", max_length=INSTRUCTIONS_MAX)


class TaskSettingsIn(BaseModel):
    """What annotators see of a task; absent fields stay as they are."""

    hints: bool | None = None
    instructions: str | None = Field(None, max_length=INSTRUCTIONS_MAX)


class Task(Model):
    id: int
    name: str
    env: str
    achievement: str
    max_steps: int
    description: str
    hints: bool  # annotators see reward marks (success, achievements); off: blind, the default
    instructions: str  # the researcher's guidance, shown to annotators before their first answer
    created_at: str


class TaskWithCounts(Task):
    n_trajectories: int
    n_pairs: int
    n_questions: int
    n_labels: int  # live pairwise labels and answers to questions, skips excluded


class AnnotatorTask(Model):
    """A task as annotators see it: blind tasks (hints off) show neither the achievement nor the researcher's
    description (both name what the reward counts), only the instructions."""

    id: int
    name: str
    max_steps: int
    hints: bool
    instructions: str
    n_items: int
    achievement: str | None = None
    description: str | None = None


class TaskEntry(AnnotatorTask):
    """One row of `GET /api/tasks`: an `AnnotatorTask` for annotators, every field for token holders."""

    env: str | None = None
    created_at: str | None = None
    n_trajectories: int | None = None
    n_pairs: int | None = None
    n_questions: int | None = None
    n_labels: int | None = None


class Progress(Model):
    """`done`/`total` are this annotator's: answered or skipped / that plus items still open to them."""

    done: int
    total: int
    pairs: int  # items in the task (pairs and questions)
    complete: int
    k: int
    skipped: int
    labelled: int


class OwnProgress(Progress):
    """An annotator's own figures, with their live answers and the seconds they spent on them."""

    answers: int
    seconds: float


class Status(Model):
    ready: bool
    bootstrap: dict | None
    schema_version: int
    labels_per_pair: int
    annotators: str  # "open" (type a name) or "invite" (by a researcher's invite link)

"""`Store`: the database file opened and migrated, with one repository per table group as attributes."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from labeler.db.answers import AnswerRepo
from labeler.db.database import Database
from labeler.db.evaluations import EvaluationRepo
from labeler.db.items import ItemRepo
from labeler.db.jobs import JobRepo
from labeler.db.label_index import LabelIndex
from labeler.db.labels import LabelRepo
from labeler.db.latents import LatentRepo
from labeler.db.migrations import MIGRATIONS, Migration, migrate, schema_version
from labeler.db.pairs import PairRepo
from labeler.db.quality import QualityRepo
from labeler.db.questions import QuestionRepo
from labeler.db.rounds import RoundRepo
from labeler.db.sessions import SessionRepo
from labeler.db.tasks import TaskRepo
from labeler.db.trajectories import TrajectoryRepo


class Store:
    """`with Store(path) as store: store.tasks.list()`; the app holds one for its lifetime."""

    def __init__(self, path: str | Path, migrations: Sequence[Migration] = MIGRATIONS) -> None:
        self.db = Database(path)
        migrate(self.db, migrations)
        index = LabelIndex()  # write-through: kept in step by pairs and labels (see label_index)
        self.tasks = TaskRepo(self.db)
        self.latents = LatentRepo(self.db, self.tasks)
        self.rounds = RoundRepo(self.db, self.tasks, self.latents)
        self.trajectories = TrajectoryRepo(self.db, self.tasks, self.rounds)
        self.pairs = PairRepo(self.db, index, self.tasks, self.trajectories)
        self.labels = LabelRepo(self.db, index)
        self.jobs = JobRepo(self.db, self.tasks)
        self.evaluations = EvaluationRepo(self.db, self.tasks)
        self.questions = QuestionRepo(self.db, index, self.tasks, self.trajectories)
        self.answers = AnswerRepo(self.db, index)
        self.items = ItemRepo(self.db, index)
        self.quality = QualityRepo(self.db, self.pairs)
        self.sessions = SessionRepo(self.db)

    @property
    def path(self) -> Path:
        return self.db.path

    def schema_version(self) -> int:
        return schema_version(self.db)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

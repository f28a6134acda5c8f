"""Minutes of a person's time: seconds per answer of each feedback mode, and round sizes from minutes.

The documented model (used until the app has measured answers of a mode; then the median of the
measured `time_spent_ms` replaces it, `seconds_per_answer(..., measured_ms=...)`):

    seconds per answer = watching + deciding
    watching = frames of the longest video shown / (fps * playback speed)  (synced videos play together)
    deciding = pairwise 3 s | per-episode grade 2 s | best-of-K best+worst 2 s + 1 s per video
               | best-of-K full order 2 s + 2 s per video after the first

The decision times are assumptions (a key press after a comparison of two, one judgement of one, and
a scan of K), not measurements; watching dominates for anything but very short episodes. A person
watches each video once, to its end, at the chosen speed (the app's videos are 10 fps at 1x).
"""
from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass
from typing import Sequence

from pgt_core.feedback import FEEDBACK_MODES

VIDEO_FPS = 10.0  # the app's encoding rate (labeler video DEFAULT_FPS)
MIN_MEASURED = 5  # answers of a mode before measured times replace the model


@dataclass(frozen=True)
class SecondsModel:
    fps: float = VIDEO_FPS
    speed: float = 1.0
    pairwise_decision: float = 3.0
    grade_decision: float = 2.0
    best_worst_decision: float = 2.0
    best_worst_per_video: float = 1.0
    order_decision: float = 2.0
    order_per_video: float = 2.0

    def watch(self, frames: int) -> float:
        return frames / (self.fps * self.speed)

    def answer(self, mode: str, frames: Sequence[int], *, full_order: bool = False) -> float:
        """Seconds for one answer of `mode` over videos of these frame counts (1, 2 or K of them)."""
        if mode not in FEEDBACK_MODES:
            raise ValueError(f"mode must be one of {FEEDBACK_MODES}, got {mode!r}")
        watch = self.watch(max(frames))
        if mode == "pairwise":
            return watch + self.pairwise_decision
        if mode == "per_episode":
            return watch + self.grade_decision
        k = len(frames)
        if full_order:
            return watch + self.order_decision + self.order_per_video * (k - 1)
        return watch + self.best_worst_decision + self.best_worst_per_video * k

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def videos_per_answer(mode: str, k: int = 4) -> int:
    return {"pairwise": 2, "per_episode": 1, "best_of_k": k}[mode]


def seconds_per_answer(mode: str, episode_frames: int, *, k: int = 4, full_order: bool = False,
                       model: SecondsModel | None = None, measured_ms: Sequence[float] | None = None) -> float:
    """Expected seconds per answer: the median of measured times when there are enough, else the model."""
    if measured_ms is not None and len(measured_ms) >= MIN_MEASURED:
        return statistics.median(measured_ms) / 1000.0
    model = model or SecondsModel()
    return model.answer(mode, [episode_frames] * videos_per_answer(mode, k), full_order=full_order)


@dataclass(frozen=True)
class RoundSize:
    mode: str
    minutes: float  # of human time, all people together
    answers: int
    episodes: int  # rollouts the round needs
    seconds_per_answer: float
    people: int

    @property
    def minutes_per_person(self) -> float:
        return self.minutes / self.people

    def to_dict(self) -> dict[str, float | int | str]:
        return {**asdict(self), "minutes_per_person": self.minutes_per_person}


def episodes_for_answers(mode: str, answers: int, *, k: int = 4) -> int:
    """Rollouts a round needs: one per grade; pairwise and best-of-K reuse an episode in about 4 and 2
    comparisons (the app's default of 4 pairs per episode), never fewer than one comparison's worth."""
    if mode == "per_episode":
        return answers
    if mode == "pairwise":
        return max(2, math.ceil(answers / 2))
    return max(k, math.ceil(answers * k / 2))


def round_for_minutes(mode: str, minutes: float, episode_frames: int, *, people: int = 1, k: int = 4,
                      full_order: bool = False, model: SecondsModel | None = None,
                      measured_ms: Sequence[float] | None = None) -> RoundSize:
    """The round that fills `minutes` of each of `people` people's time."""
    per = seconds_per_answer(mode, episode_frames, k=k, full_order=full_order, model=model, measured_ms=measured_ms)
    answers = max(1, int(minutes * 60 * people // per))
    return RoundSize(mode, answers * per / 60, answers, episodes_for_answers(mode, answers, k=k), per, people)


def minutes_for_round(mode: str, answers: int, episode_frames: int, *, k: int = 4, full_order: bool = False,
                      model: SecondsModel | None = None, measured_ms: Sequence[float] | None = None) -> float:
    """Estimated minutes of human time for `answers` answers (what the round form shows)."""
    per = seconds_per_answer(mode, episode_frames, k=k, full_order=full_order, model=model, measured_ms=measured_ms)
    return answers * per / 60


PRESETS: dict[str, dict[str, float | int | str]] = {
    "10 minutes, one person": {"minutes": 10, "people": 1},
    "30 minutes, one person": {"minutes": 30, "people": 1},
    "1 hour, three people": {"minutes": 60, "people": 3},
}
"""Round-form presets; `preset_round(name, mode, episode_frames)` turns one into a size."""


def preset_round(name: str, mode: str, episode_frames: int, *, k: int = 4, model: SecondsModel | None = None,
                 measured_ms: Sequence[float] | None = None) -> RoundSize:
    p = PRESETS[name]
    return round_for_minutes(mode, float(p["minutes"]), episode_frames, people=int(p["people"]), k=k, model=model,
                             measured_ms=measured_ms)

"""Uncertainty for every comparison PGT Studio reports: rates, paired before/after tests, relative gains, win rates.

Why these methods:
- A success rate over n episodes gets a **Wilson score interval** (Wilson 1927): unlike the Wald
  interval it stays inside [0, 1] and keeps near-nominal coverage at 0% or 100% and small n.
- Two latents evaluated on the *same* episodes (same worlds, same action streams) are paired data;
  treating them as independent samples throws away the pairing and overstates the noise of a
  difference, or, when the pairing is broken, hides it. The test is **exact McNemar** (a two-sided
  binomial test on the discordant episodes), the interval for the difference is **Newcombe's
  method 10** (square-and-add of two Wilson intervals with the paired correlation; Newcombe 1998).
  The verdict "significant" comes from the exact test alone, so one rule decides it.
- The average relative improvement over tasks is a ratio of noisy rates with no closed form: a
  **percentile bootstrap over episodes**, resampling the same episode indices for both latents of a
  task (the pairing survives resampling), tasks resampled independently.
- A blind A/B win rate counts ties as half a win; its interval is Wilson on that score and its test
  an exact sign test on the decisive answers (ties carry no direction).

Plain functions and frozen records with `to_dict()`, no dependency beyond numpy and the standard library.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from statistics import NormalDist
from typing import Any, Mapping, Sequence

import numpy as np

ALPHA = 0.05  # significance threshold that goes with 95% intervals


def z_value(level: float = 0.95) -> float:
    """Two-sided standard normal quantile: 1.96 for level 0.95."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    return NormalDist().inv_cdf(0.5 + level / 2.0)


@dataclass(frozen=True)
class Interval:
    low: float
    high: float
    level: float = 0.95

    @property
    def width(self) -> float:
        return self.high - self.low

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


# -- one rate ----------------------------------------------------------------------------------------
def wilson_interval(successes: float, n: int, level: float = 0.95) -> Interval:
    """Wilson score interval for a binomial rate (successes may be fractional, e.g. ties as half)."""
    if n <= 0:
        return Interval(0.0, 1.0, level)
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be in [0, n={n}], got {successes}")
    z = z_value(level)
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact ends, not rounding residue
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Interval(low, high, level)


@dataclass(frozen=True)
class Rate:
    successes: int
    n: int
    rate: float
    interval: Interval

    def to_dict(self) -> dict[str, Any]:
        return {"successes": self.successes, "n": self.n, "rate": self.rate, "interval": self.interval.to_dict()}


def success_rate(outcomes: Sequence[bool] | np.ndarray, level: float = 0.95) -> Rate:
    """Share of successful episodes with its Wilson interval."""
    x = np.asarray(outcomes, dtype=bool)
    k, n = int(x.sum()), int(x.size)
    return Rate(k, n, k / n if n else 0.0, wilson_interval(k, n, level))


# -- exact tests ---------------------------------------------------------------------------------------
def binomial_two_sided_p(k: int, n: int) -> float:
    """Exact two-sided p-value of k successes in n trials against p = 1/2 (doubling the smaller tail)."""
    if n == 0:
        return 1.0
    m = min(k, n - k)
    tail = sum(math.comb(n, i) for i in range(m + 1)) / 2 ** n  # integer sums: exact for any n
    return min(1.0, 2.0 * tail)


def mcnemar_exact_p(only_first: int, only_second: int) -> float:
    """Exact McNemar p-value from the discordant counts (first succeeded alone, second succeeded alone)."""
    return binomial_two_sided_p(only_first, only_first + only_second)


def holm_adjust(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment (family-wise error) of several p-values, in their given order."""
    m = len(p_values)
    order = sorted(range(m), key=lambda k: p_values[k])
    adjusted, running = [0.0] * m, 0.0
    for rank, k in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[k]))
        adjusted[k] = running
    return adjusted


# -- two latents on the same episodes -------------------------------------------------------------------
def newcombe_paired_interval(both: int, only_first: int, only_second: int, neither: int,
                             level: float = 0.95) -> Interval:
    """Newcombe's method 10 interval for rate(second) - rate(first) on paired binary outcomes."""
    n = both + only_first + only_second + neither
    if n == 0:
        return Interval(-1.0, 1.0, level)
    p1, p2 = (both + only_first) / n, (both + only_second) / n
    w1, w2 = wilson_interval(both + only_first, n, level), wilson_interval(both + only_second, n, level)
    margins = (both + only_first) * (only_second + neither) * (both + only_second) * (only_first + neither)
    phi = 0.0
    if margins > 0:
        cross = both * neither - only_first * only_second
        # Newcombe's correction shrinks a positive correlation by n/2 (a continuity correction)
        phi = (cross - n / 2) / math.sqrt(margins) if cross > n / 2 else min(cross, 0) / math.sqrt(margins)
    d = p2 - p1
    low = d - math.sqrt(max(0.0, (p2 - w2.low) ** 2 - 2 * phi * (p2 - w2.low) * (w1.high - p1) + (w1.high - p1) ** 2))
    high = d + math.sqrt(max(0.0, (w2.high - p2) ** 2 - 2 * phi * (w2.high - p2) * (p1 - w1.low) + (p1 - w1.low) ** 2))
    return Interval(max(-1.0, low), min(1.0, high), level)


@dataclass(frozen=True)
class PairedComparison:
    """Latent B against latent A on the same n episodes (A = the start, e.g. z0; B = the candidate)."""

    n: int
    first: Rate
    second: Rate
    difference: float  # rate(B) - rate(A)
    interval: Interval  # Newcombe, for the difference
    p_value: float  # exact McNemar
    only_first: int  # episodes A solved and B did not
    only_second: int  # episodes B solved and A did not
    alpha: float = ALPHA

    @property
    def significant(self) -> bool:
        return self.p_value < self.alpha

    @property
    def worse_than_start(self) -> bool:
        """B's point estimate is below A's: the review flags it and asks for a confirmation."""
        return self.difference < 0

    @property
    def verdict(self) -> str:
        """'significantly better', 'significantly worse' or 'not significant' (from the exact test)."""
        if not self.significant:
            return "not significant"
        return "significantly better" if self.difference > 0 else "significantly worse"

    def summary(self, first_name: str = "z0", second_name: str = "tuned") -> str:
        """One sentence for a person deciding whether to promote."""
        lo, hi = self.interval.low * 100, self.interval.high * 100
        text = (f"{first_name} {self.first.rate:.0%} -> {second_name} {self.second.rate:.0%} on the same {self.n} "
                f"episodes: {self.difference * 100:+.0f} points ({self.interval.level:.0%} CI {lo:+.0f} to {hi:+.0f}), "
                f"exact McNemar p = {self.p_value:.2g}: {self.verdict}")
        if not self.significant:
            need = episodes_for_difference_half_width(self.first.rate, self.second.rate, 0.05,
                                                      discordance=(self.only_first + self.only_second) / max(1, self.n))
            text += f"; about {need} episodes would give +/-5 points"
        return text + "."

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "first": self.first.to_dict(), "second": self.second.to_dict(),
                "difference": self.difference, "interval": self.interval.to_dict(), "p_value": self.p_value,
                "only_first": self.only_first, "only_second": self.only_second, "alpha": self.alpha,
                "significant": self.significant, "worse_than_start": self.worse_than_start, "verdict": self.verdict}


def compare_paired(first: Sequence[bool] | np.ndarray, second: Sequence[bool] | np.ndarray, *,
                   level: float = 0.95, alpha: float = ALPHA) -> PairedComparison:
    """Success of two latents on the same episodes, position k of both lists being the same episode."""
    a, b = np.asarray(first, dtype=bool), np.asarray(second, dtype=bool)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"paired outcomes need two 1-D lists of one length, got {a.shape} and {b.shape}")
    both, only_a = int(np.sum(a & b)), int(np.sum(a & ~b))
    only_b, neither = int(np.sum(~a & b)), int(np.sum(~a & ~b))
    n = int(a.size)
    return PairedComparison(n, success_rate(a, level), success_rate(b, level), (only_b - only_a) / n if n else 0.0,
                            newcombe_paired_interval(both, only_a, only_b, neither, level),
                            mcnemar_exact_p(only_a, only_b), only_a, only_b, alpha)


# -- many tasks ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RelativeImprovement:
    estimate: float  # mean over tasks of (rate_B - rate_A) / rate_A
    interval: Interval  # percentile bootstrap over episodes
    tasks: tuple[str, ...]  # the tasks averaged (rate_A > 0)
    per_task: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {"estimate": self.estimate, "interval": self.interval.to_dict(), "tasks": list(self.tasks),
                "per_task": dict(self.per_task)}


def mean_relative_improvement(first: Mapping[str, Sequence[bool]], second: Mapping[str, Sequence[bool]], *,
                              n_boot: int = 2000, level: float = 0.95, seed: int = 0) -> RelativeImprovement:
    """Average over tasks of the relative gain of B over A, with a paired bootstrap interval.

    Tasks whose A rate is 0 are left out (no relative gain exists). A bootstrap replicate resamples
    each task's episodes with replacement, the same indices for A and B; a task whose resampled A
    rate is 0 is left out of that replicate's mean.
    """
    if set(first) != set(second):
        raise ValueError("both latents need outcomes for the same tasks")
    rng = np.random.default_rng(seed)
    names, boots, per_task = [], [], {}
    for name in first:
        a, b = np.asarray(first[name], dtype=float), np.asarray(second[name], dtype=float)
        if a.shape != b.shape or a.size == 0:
            raise ValueError(f"task {name!r}: paired outcomes of one non-zero length needed")
        if a.mean() == 0:
            continue
        names.append(name)
        per_task[name] = float(b.mean() / a.mean() - 1.0)
        idx = rng.integers(0, a.size, size=(n_boot, a.size))
        ra, rb = a[idx].mean(1), b[idx].mean(1)
        with np.errstate(divide="ignore", invalid="ignore"):
            boots.append(np.where(ra > 0, rb / ra - 1.0, np.nan))
    if not names:
        return RelativeImprovement(float("nan"), Interval(float("nan"), float("nan"), level), (), {})
    stacked = np.stack(boots)
    counts = np.isfinite(stacked).sum(0)
    reps = np.nansum(stacked, axis=0)[counts > 0] / counts[counts > 0]
    tail = (1.0 - level) / 2.0 * 100
    low, high = np.percentile(reps, [tail, 100 - tail])
    return RelativeImprovement(float(np.mean(list(per_task.values()))), Interval(float(low), float(high), level),
                               tuple(names), per_task)


@dataclass(frozen=True)
class TaskTally:
    improved: int  # significantly better
    worse: int  # significantly worse
    unclear: int  # not significant
    total: int

    def sentence(self) -> str:
        return (f"{self.improved}/{self.total} tasks improved significantly, {self.worse} got significantly worse, "
                f"{self.unclear} changed within the noise")


def tally(comparisons: Mapping[str, PairedComparison] | Sequence[PairedComparison]) -> TaskTally:
    """How many per-task comparisons are significantly better, worse, or neither."""
    items = list(comparisons.values()) if isinstance(comparisons, Mapping) else list(comparisons)
    better = sum(c.significant and c.difference > 0 for c in items)
    worse = sum(c.significant and c.difference < 0 for c in items)
    return TaskTally(better, worse, len(items) - better - worse, len(items))


# -- human A/B -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WinRate:
    wins: int
    losses: int
    ties: int
    rate: float  # (wins + ties / 2) / answers
    interval: Interval  # Wilson on that score
    p_value: float  # exact sign test on decisive answers, ties left out
    alpha: float = ALPHA

    @property
    def significant(self) -> bool:
        return self.p_value < self.alpha

    @property
    def worse_than_start(self) -> bool:
        """People preferred the start more often than the candidate (point estimate)."""
        return self.rate < 0.5

    @property
    def verdict(self) -> str:
        if not self.significant:
            return "not significant"
        return "significantly better" if self.rate > 0.5 else "significantly worse"

    def summary(self, first_name: str = "start", second_name: str = "candidate") -> str:
        n = self.wins + self.losses + self.ties
        return (f"people preferred {second_name} over {first_name} in {self.rate:.0%} of {n} blind comparisons "
                f"({self.wins} wins, {self.losses} losses, {self.ties} ties; {self.interval.level:.0%} CI "
                f"{self.interval.low:.0%} to {self.interval.high:.0%}), sign test p = {self.p_value:.2g}: "
                f"{self.verdict}.")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "interval": self.interval.to_dict(), "significant": self.significant,
                "worse_than_start": self.worse_than_start, "verdict": self.verdict}


def win_rate(wins: int, losses: int, ties: int = 0, *, level: float = 0.95, alpha: float = ALPHA) -> WinRate:
    """Blind A/B: how often people preferred the candidate, ties counted as half a win."""
    if min(wins, losses, ties) < 0:
        raise ValueError("counts must be >= 0")
    n = wins + losses + ties
    score = wins + ties / 2.0
    return WinRate(wins, losses, ties, score / n if n else 0.5, wilson_interval(score, n, level),
                   binomial_two_sided_p(wins, wins + losses), alpha)


# -- sizing an evaluation --------------------------------------------------------------------------------
def wilson_half_width(p: float, n: int, level: float = 0.95) -> float:
    """Half-width of the Wilson interval at an observed rate p over n episodes."""
    z = z_value(level)
    return z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)


def episodes_for_half_width(p_guess: float, half_width: float, level: float = 0.95, max_n: int = 1_000_000) -> int:
    """Fewest episodes whose Wilson interval at rate `p_guess` is at most +/- `half_width`."""
    if not 0.0 < half_width < 0.5:
        raise ValueError("half_width must be in (0, 0.5)")
    lo, hi = 1, max_n
    while lo < hi:
        mid = (lo + hi) // 2
        if wilson_half_width(p_guess, mid, level) <= half_width:
            hi = mid
        else:
            lo = mid + 1
    return lo


def episodes_for_difference_half_width(p_first: float, p_second: float, half_width: float, *,
                                       discordance: float | None = None, level: float = 0.95) -> int:
    """Episodes for a paired difference interval of about +/- `half_width` (normal approximation).

    var(d) = (discordance - d^2) / n, where discordance is the share of episodes the two latents
    disagree on. Unknown, it is taken as if the outcomes were independent, p1(1-p2) + p2(1-p1);
    shared worlds and action streams usually make it smaller, so this errs on the large side.
    A floor of 0.02 keeps the answer finite when a pilot saw no disagreement at all.
    """
    if not 0.0 < half_width < 1.0:
        raise ValueError("half_width must be in (0, 1)")
    if discordance is None:
        discordance = p_first * (1 - p_second) + p_second * (1 - p_first)
    d = p_second - p_first
    var1 = max(discordance - d * d, 0.02)
    return max(1, math.ceil(z_value(level) ** 2 * var1 / half_width ** 2))


def difference_half_width(p_first: float, p_second: float, n: int, *, discordance: float | None = None,
                          level: float = 0.95) -> float:
    """The expected half-width of the paired difference interval over `n` episodes (the inverse of
    `episodes_for_difference_half_width`, same variance model)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    if discordance is None:
        discordance = p_first * (1 - p_second) + p_second * (1 - p_first)
    d = p_second - p_first
    return z_value(level) * math.sqrt(max(discordance - d * d, 0.02) / n)


@dataclass(frozen=True)
class EvaluationPlan:
    episodes: int  # per latent, the same worlds for each
    half_width: float  # the difference interval's expected half-width
    seconds: float  # rollout time for all latents

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def evaluation_plan(p_first: float, p_second: float, half_width: float, *, latents: int = 2,
                    seconds_per_episode: float, discordance: float | None = None,
                    level: float = 0.95) -> EvaluationPlan:
    """Episodes per latent to reach +/- half_width on the difference, and how long the rollouts take.

    seconds_per_episode: measured throughput of the worker (e.g. task steps / steps per second).
    """
    n = episodes_for_difference_half_width(p_first, p_second, half_width, discordance=discordance, level=level)
    return EvaluationPlan(n, half_width, n * latents * seconds_per_episode)


# -- text for tables ---------------------------------------------------------------------------------------
def format_rate(rate: Rate) -> str:
    """'45% [36-55]'."""
    return f"{rate.rate:.0%} [{rate.interval.low * 100:.0f}-{rate.interval.high * 100:.0f}]"


def format_paired(c: PairedComparison) -> str:
    """'+23 [+10, +35] p=0.001' (points of success; * marks significance)."""
    star = "*" if c.significant else ""
    return (f"{c.difference * 100:+.0f} [{c.interval.low * 100:+.0f}, {c.interval.high * 100:+.0f}] "
            f"p={c.p_value:.2g}{star}")

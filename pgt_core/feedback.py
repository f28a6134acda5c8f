"""People's answers -> DPO pairs: one documented rule for each feedback mode.

Three modes, chosen per round:
- **pairwise**: two synced videos, the answer is left / right / tie / both bad. One decisive answer
  is one pair.
- **per_episode**: one video, the answer is good / bad / unsure (the paper's positive/negative split).
  Pairs are every good x bad episode among the *same latent's* rollouts (episodes of different
  latents are not compared: a grade is relative to what that latent's episodes looked like).
- **best_of_k**: K synced videos in a grid; the person picks the best and the worst, or orders all K
  (tiers: episodes they cannot tell apart share a tier). Pairs are every ordering the answer implies:
  each episode of an earlier tier over each episode of a later one.

The unit rule: **every decision a person makes weighs 1, spread evenly over the pairs it implies.**
A pairwise answer is one decision (its pair weighs 1); a best/worst pick is two decisions (best, worst)
over its 2K-3 pairs; a full order of T tiers is T-1 decisions; a grade is one decision, and a latent's
G good and B bad grades, G+B decisions, are spread over its G*B pairs. So one ranking counts as a few
answers, not as K(K-1)/2 independent ones, and modes can be mixed in one tuning run. Pairs from one
ranking share a `group`, and tuning holds out whole groups (`split_by="group"`); graded pairs share
episodes across many pairs, so tuning holds out whole episodes instead (`split_by="episode"`,
`SPLIT_BY[mode]`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Iterable, Literal, Mapping, Sequence

from pgt_core.pairs import LABELS, Pair

FeedbackMode = Literal["pairwise", "per_episode", "best_of_k"]
FEEDBACK_MODES: tuple[str, ...] = ("pairwise", "per_episode", "best_of_k")
Grade = Literal["good", "bad", "unsure"]
GRADES: tuple[str, ...] = ("good", "bad", "unsure")
SplitBy = Literal["group", "episode"]
SPLIT_BY: dict[str, SplitBy] = {"pairwise": "group", "per_episode": "episode", "best_of_k": "group"}
"""How tuning holds out validation pairs for each mode's pairs."""


def split_for(modes: Iterable[str]) -> SplitBy:
    """The held-out split of pairs from these modes together: whole episodes as soon as one mode's pairs share
    episodes (graded pairs: a pair split would leak episodes into the held-out set), else whole answers."""
    return "episode" if any(SPLIT_BY[m] == "episode" for m in modes) else "group"


@dataclass(frozen=True)
class PairwiseAnswer:
    left: Hashable
    right: Hashable
    choice: str  # "left" | "right" | "tie" | "both_bad" | "skip"
    answer_id: Hashable | None = None


@dataclass(frozen=True)
class RankingAnswer:
    """A best-of-K answer over `episodes`: `best` and/or `worst`, or a full `order` of tiers (best first).

    No best, no worst and no order means "all look the same": no pairs.
    """

    episodes: tuple[Hashable, ...]
    best: Hashable | None = None
    worst: Hashable | None = None
    order: tuple[tuple[Hashable, ...], ...] | None = None
    answer_id: Hashable | None = None

    def tiers(self) -> list[list[Hashable]]:
        """The answer as tiers, best first, every episode placed once; validated."""
        eps = list(self.episodes)
        if len(set(eps)) != len(eps) or len(eps) < 2:
            raise ValueError(f"a ranking needs at least two distinct episodes, got {eps}")
        if self.order is not None:
            if self.best is not None or self.worst is not None:
                raise ValueError("give either best/worst or an order, not both")
            tiers = [list(t) for t in self.order if len(t)]
            placed = [e for t in tiers for e in t]
            if sorted(map(repr, placed)) != sorted(map(repr, eps)):
                raise ValueError("an order must place every episode of the group exactly once")
            return tiers
        for pick in (self.best, self.worst):
            if pick is not None and pick not in eps:
                raise ValueError(f"{pick!r} is not one of the group's episodes")
        if self.best is not None and self.best == self.worst:
            raise ValueError("best and worst must be different episodes")
        middle = [e for e in eps if e not in (self.best, self.worst)]
        tiers = [[self.best]] if self.best is not None else []
        tiers += [middle] if middle else []
        tiers += [[self.worst]] if self.worst is not None else []
        return tiers if self.best is not None or self.worst is not None else []


def pairs_from_pairwise(answers: Iterable[PairwiseAnswer]) -> list[Pair]:
    """One Pair per answer (skips dropped), in the orientation shown; ties/both bad kept (no DPO gradient)."""
    out = []
    for k, a in enumerate(answers):
        if a.choice == "skip":
            continue
        if a.choice not in LABELS:
            raise ValueError(f"unknown pairwise choice {a.choice!r}")
        out.append(Pair(a.left, a.right, a.choice, ("pairwise", a.answer_id if a.answer_id is not None else k), 1.0))
    return out


def pairs_from_grades(grades: Mapping[Hashable, str], latent_of: Mapping[Hashable, Hashable]) -> list[Pair]:
    """Every good x bad pair among episodes of the same latent, Pair(good, bad, "left").

    grades: episode id -> "good" | "bad" | "unsure" (unsure counts as no answer).
    latent_of: episode id -> the latent that rolled it out.
    Each latent's G+B decisions weigh G+B in all, spread over its G*B pairs.
    """
    by_latent: dict[Hashable, tuple[list[Hashable], list[Hashable]]] = {}
    for ep, grade in grades.items():
        if grade not in GRADES:
            raise ValueError(f"unknown grade {grade!r} for episode {ep!r}")
        if ep not in latent_of:
            raise ValueError(f"episode {ep!r} has no latent: grades are compared within one latent's rollouts")
        if grade != "unsure":
            good, bad = by_latent.setdefault(latent_of[ep], ([], []))
            (good if grade == "good" else bad).append(ep)
    out = []
    for good, bad in by_latent.values():
        if not good or not bad:
            continue
        weight = (len(good) + len(bad)) / (len(good) * len(bad))
        out.extend(Pair(g, b, "left", None, weight) for g in good for b in bad)
    return out


def pairs_from_ranking(answer: RankingAnswer, group: Hashable | None = None) -> list[Pair]:
    """Every ordering a best-of-K answer implies, Pair(better, worse, "left"), sharing one group.

    The T tiers' T-1 decisions weigh T-1 in all, spread evenly over the answer's pairs.
    """
    tiers = answer.tiers()
    pairs = [(a, b) for k, upper in enumerate(tiers) for lower in tiers[k + 1:] for a in upper for b in lower]
    if not pairs:
        return []
    gid = ("ranking", group if group is not None else answer.answer_id if answer.answer_id is not None
           else tuple(answer.episodes))
    weight = (len(tiers) - 1) / len(pairs)
    return [Pair(a, b, "left", gid, weight) for a, b in pairs]


def pairs_from_rankings(answers: Sequence[RankingAnswer]) -> list[Pair]:
    """`pairs_from_ranking` over many answers; answers without an id are grouped by position."""
    out: list[Pair] = []
    for k, a in enumerate(answers):
        out.extend(pairs_from_ranking(a, a.answer_id if a.answer_id is not None else k))
    return out

"""What an answer to a question may be, checked against the question before anything is stored.

- per_episode: {"grade": "good" | "bad" | "unsure"}
- best_of_k: {"best": ID, "worst": ID} (either or both), or {"order": [[ID, ...], ...]}, tiers best first
  that place every episode of the question once
- any mode: {"skip": true}
`shown` is the order the episodes were on screen (a permutation of the question's episodes).
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from labeler.errors import Invalid
from pgt_core.feedback import GRADES, RankingAnswer


def ranking_of(episodes: Sequence[str], answer: Mapping[str, Any]) -> RankingAnswer:
    """A stored or submitted best-of-K answer (best/worst or tiers) as the ranking `pgt_core.feedback` reads."""
    order = answer.get("order")
    return RankingAnswer(tuple(episodes), best=answer.get("best"), worst=answer.get("worst"),
                         order=tuple(tuple(t) for t in order) if order is not None else None)


def check_answer(question: Mapping[str, Any], answer: dict[str, Any], shown: list[str]) -> dict[str, Any]:
    """The answer in its stored form; Invalid says what does not fit the question."""
    episodes = list(question["episodes"])
    if sorted(shown) != sorted(episodes):
        raise Invalid(f"shown must list the question's episodes in the order shown: {episodes}")
    if answer.get("skip") is True:
        if len(answer) != 1:
            raise Invalid("a skip carries nothing else")
        return {"skip": True}
    if question["mode"] == "per_episode":
        if set(answer) != {"grade"} or answer["grade"] not in GRADES:
            raise Invalid(f"a per-episode answer is {{\"grade\": one of {', '.join(GRADES)}}} (or a skip)")
        return {"grade": answer["grade"]}
    if set(answer) - {"best", "worst", "order"} or not answer:
        raise Invalid("a best-of-K answer is {\"best\", \"worst\"} (either or both) or {\"order\": tiers} (or a skip)")
    try:
        tiers = ranking_of(episodes, answer).tiers()
    except (ValueError, TypeError) as exc:
        raise Invalid(f"this ranking does not fit the question: {exc}") from None
    if not tiers:
        raise Invalid("pick the best, the worst, or order the episodes (or skip)")
    if answer.get("order") is not None:
        return {"order": [list(t) for t in tiers]}
    return {k: answer[k] for k in ("best", "worst") if answer.get(k) is not None}

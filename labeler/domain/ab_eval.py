"""Human-judged evaluation: a blind A/B of a round's start latent against its candidate on the same seeds.

For tasks whose goal has no reward function (or where success is not what people care about) the review's
figure is how often people prefer the candidate. The evaluation job keeps both latents' episodes on the
first evaluation seeds; each seed becomes one pair (source `ab_eval`) that annotators label in the normal
view, sides drawn at random when shown, the episode ids saying nothing of which latent played. Each pair's
resolved outcome (the same rule tuning uses) is one comparison: candidate preferred = win, start preferred
= loss, tie or both bad = tie. These pairs are judgements of the candidate, never tuning data.
"""
from __future__ import annotations

from typing import Any, Mapping

from labeler.db.store import Store
from labeler.domain.label_records import records
from labeler.domain.preferences import AB_EVAL, resolve_preferences
from pgt_core.stats import win_rate


def review_pairs(ev: Mapping[str, Any], n: int) -> list[tuple[str, str]]:
    """(start episode, candidate episode) on the first `n` kept evaluation seeds."""
    roles = {r["role"] for r in ev.get("rates", [])}
    start = "base" if "base" in roles else "prompt"
    by = {(v["role"], v["seed"]): v["id"] for v in ev.get("review", [])}
    seeds = sorted({seed for role, seed in by if role == "candidate" and (start, seed) in by})
    return [(by[(start, s)], by[("candidate", s)]) for s in seeds[:n]]


def make_ab_pairs(store: Store, rnd: Mapping[str, Any], ev: Mapping[str, Any], n: int) -> int:
    pairs = review_pairs(ev, n)
    return len(store.pairs.add(int(rnd["task_id"]), pairs, int(rnd["id"]), source=AB_EVAL))


def ab_result(store: Store, rnd: Mapping[str, Any]) -> dict[str, Any] | None:
    """The round's blind A/B so far: pairs, answered pairs, and the win rate with its interval; None without."""
    ev = (rnd.get("result") or {}).get("eval") or {}
    candidate = {v["id"] for v in ev.get("review", []) if v["role"] == "candidate"}
    pairs = [p for p in store.pairs.list(int(rnd["task_id"]))
             if p["round_id"] == rnd["id"] and p.get("source") == AB_EVAL]
    if not pairs:
        return None
    ids = {p["id"] for p in pairs}
    rows = [r for r in store.labels.list(task_id=int(rnd["task_id"]), limit=None) if r["pair_id"] in ids]
    wins = losses = ties = 0
    for r in resolve_preferences(records(rows), store.quality.decisions(int(rnd["task_id"]))):
        if r["preferred"] is None:
            ties += 1
        elif r["preferred"] in candidate:
            wins += 1
        else:
            losses += 1
    answered = wins + losses + ties
    rate = win_rate(wins, losses, ties)
    return {"pairs": len(pairs), "answered": answered, **rate.to_dict(),
            "summary": rate.summary() if answered else "no blind comparison answered yet"}

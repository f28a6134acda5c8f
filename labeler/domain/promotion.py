"""Whether a round's candidate may be promoted with one click: the review's verdict against its start latent.

The round's `evaluation` setting says which figure counts: success on the same evaluation episodes (exact
McNemar), people's blind A/B win rate (`ab_eval`), or both, where either figure saying "worse" is enough to
ask for a confirmation (`pgt_core.promotion_advice`). So is a blind A/B nobody has answered yet: a candidate
of a round judged by people is never promoted on no judgement at all without the researcher saying so.
"""
from __future__ import annotations

from typing import Any, Mapping

from labeler.domain.round_config import RoundConfig
from pgt_core.promotion_advice import PromotionAdvice, promotion_advice
from pgt_core.stats import compare_paired, win_rate

NO_JUDGEMENT = PromotionAdvice(
    "Promote without a human judgement", True,
    "no human judgement yet: nobody has answered the blind A/B comparisons of this candidate with its start; "
    "promoting it now needs a confirmation")


def promotion(rnd: Mapping[str, Any], ab: Mapping[str, Any] | None) -> PromotionAdvice | None:
    """The advice for the round's promote control from its evaluation and its blind A/B (`ab_eval.ab_result`);
    None before there is anything to judge by."""
    cfg = RoundConfig.from_dict(rnd.get("config"))
    ev = (rnd.get("result") or {}).get("eval") or {}
    advices = []
    if cfg.evaluation in ("success", "both"):
        by_role = {r["role"]: r for r in ev.get("rates", []) if r.get("success") is not None}
        start = "base" if "base" in by_role else "prompt"
        if "candidate" in by_role and start in by_role:
            advices.append(promotion_advice(compare_paired(by_role[start]["success"], by_role["candidate"]["success"])))
    if cfg.evaluation in ("human", "both"):
        if ab is not None and ab["answered"]:
            advices.append(promotion_advice(win_rate(ab["wins"], ab["losses"], ab["ties"])))
        elif ev:
            advices.append(NO_JUDGEMENT)
    if not advices:
        return None
    worse = [a for a in advices if a.needs_confirmation]
    return worse[0] if worse else advices[0]

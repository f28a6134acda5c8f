"""What a review's promote control says for a candidate against its start latent, from either figure the app
has: success on the same episodes (`PairedComparison`) or people's blind A/B (`WinRate`).

A candidate worse than its start by the point estimate needs an explicit confirmation, significant or not:
at small evaluations "not significantly worse" is no reason to promote.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from pgt_core.stats import PairedComparison, WinRate


@dataclass(frozen=True)
class PromotionAdvice:
    button: str  # the promote button's text
    needs_confirmation: bool  # the candidate did worse than its start: ask before promoting
    flag: str | None  # the warning the review shows, if any

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def promotion_advice(c: PairedComparison | WinRate) -> PromotionAdvice:
    """What the review's promote control says for a candidate compared with its start latent (success on the
    same episodes, or people's blind A/B win rate)."""
    if c.worse_than_start:
        how = (f"{c.difference * 100:+.0f} points" if isinstance(c, PairedComparison)
               else f"people preferred it in {c.rate:.0%} of blind comparisons")
        flag = f"the candidate did worse than its start ({how}, {c.verdict}); promoting it needs a confirmation"
        return PromotionAdvice(f"Promote anyway ({c.verdict})", True, flag)
    if not c.significant:
        return PromotionAdvice("Promote (not significant)", False, None)
    return PromotionAdvice("Promote (significantly better)", False, None)

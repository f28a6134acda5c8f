"""Everything the quality dashboard shows, per task (and round): agreement, annotators, activity, disputes."""
from __future__ import annotations

import math
from collections import defaultdict
from typing import Any, Iterable, Mapping, Sequence

from labeler.domain.agreement import (
    alpha_by_task_round,
    disagreements,
    krippendorff_alpha_nominal,
    majority_agreement,
    units_by_pair,
)
from labeler.domain.annotator_quality import (
    Rate,
    gold_accuracy,
    hourly_counts,
    position_bias,
    self_consistency,
    throughput,
)
from labeler.domain.label_records import LabelRecord, records


def annotator_table(labels: Sequence[LabelRecord], gold: Mapping[int, str] | None = None,
                    canonical: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """One row per annotator: volume, gold accuracy, self-consistency, agreement, side bias, speed."""
    gold_acc = gold_accuracy(labels, gold or {})
    consistency = self_consistency(labels, canonical)
    agree = majority_agreement(labels)
    by_annotator: dict[str, list[LabelRecord]] = defaultdict(list)
    for r in labels:
        by_annotator[r.annotator].append(r)
    rows = []
    for name in sorted(by_annotator):
        mine = by_annotator[name]
        rows.append({
            "annotator": name,
            "n_labels": sum(1 for r in mine if r.choice != "skip"),
            "n_skips": sum(1 for r in mine if r.choice == "skip"),
            "gold_accuracy": gold_acc.get(name, Rate()).to_dict(),
            "self_consistency": consistency.get(name, Rate()).to_dict(),
            "majority_agreement": agree.get(name, Rate()).to_dict(),
            "position_bias": position_bias(mine),
            "throughput": throughput(mine),
        })
    return rows


def quality_report(labels: Iterable[Mapping[str, Any] | LabelRecord], gold: Mapping[int, str] | None = None,
                   canonical: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Everything the quality dashboard shows, for the labels given (filter them by task/round first)."""
    recs = records(labels)
    alpha = krippendorff_alpha_nominal(units_by_pair(recs))
    return {
        "n_labels": sum(1 for r in recs if r.choice != "skip"),
        "alpha": None if math.isnan(alpha) else alpha,
        "alpha_by_task_round": alpha_by_task_round(recs),
        "position_bias": position_bias(recs),
        "throughput": throughput(recs),
        "annotators": annotator_table(recs, gold, canonical),
        "hourly": hourly_counts(recs),
        "disagreements": [d.to_dict() for d in disagreements(recs)],
    }

"""One label as quality statistics and the preference resolver read it.

Outcomes are always expressed in the pair's own orientation (`a` = traj_a preferred,
`b` = traj_b preferred, `tie`, `both_bad`), never as the side that was clicked, so sides
swapped between showings compare correctly. Skips are missing data.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Mapping

OUTCOMES = ("a", "b", "tie", "both_bad")


def _time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


@dataclass(frozen=True)
class LabelRecord:
    """One label as the store returns it (`store.labels.list` rows carry all of these)."""

    pair_id: int
    annotator: str
    choice: str  # as clicked: left / right / tie / both_bad / skip
    left_traj: str
    right_traj: str
    traj_a: str
    traj_b: str
    task_id: int | None = None
    round_id: int | None = None
    time_spent_ms: int | None = None
    created_at: datetime | None = None
    label_id: int | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "LabelRecord":
        return cls(pair_id=int(row["pair_id"]), annotator=str(row["annotator"]), choice=str(row["choice"]),
                   left_traj=str(row["left_traj"]), right_traj=str(row["right_traj"]),
                   traj_a=str(row.get("traj_a") or min(row["left_traj"], row["right_traj"])),
                   traj_b=str(row.get("traj_b") or max(row["left_traj"], row["right_traj"])),
                   task_id=row.get("task_id"), round_id=row.get("round_id"),
                   time_spent_ms=row.get("time_spent_ms"), created_at=_time(row.get("created_at")),
                   label_id=row.get("id"))

    @property
    def preferred(self) -> str | None:
        """The trajectory id the click chose (None for tie, both_bad, skip)."""
        return {"left": self.left_traj, "right": self.right_traj}.get(self.choice)

    @property
    def outcome(self) -> str | None:
        """'a' / 'b' / 'tie' / 'both_bad' in the pair's orientation; None for a skip."""
        if self.choice == "skip":
            return None
        if self.choice in ("tie", "both_bad"):
            return self.choice
        return "a" if self.preferred == self.traj_a else "b"

    @property
    def decisive(self) -> bool:
        return self.choice in ("left", "right")


def records(rows: Iterable[Mapping[str, Any] | LabelRecord]) -> list[LabelRecord]:
    return [r if isinstance(r, LabelRecord) else LabelRecord.from_row(r) for r in rows]

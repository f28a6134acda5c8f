"""A synthetic annotator that labels through the HTTP API, like a person in the browser would.

    python -m tests.support.http_teacher --url http://127.0.0.1:7860 --task-id 1 --flip 0.1

Why over HTTP: end-to-end tests and demos of a full round need labels without people, and
going through /api/pairs/next and /api/labels exercises exactly the path people use
(scheduling, leases, idempotent submissions). Answers come from `pgt_core.pairs.SyntheticTeacher`
applied to a score of each trajectory (the episode reward unless told otherwise).
"""
from __future__ import annotations

import argparse
import uuid
from typing import Any, Callable

from labeler.api_client import ApiClient
from pgt_core.pairs import SyntheticTeacher

Score = Callable[[dict[str, Any]], float]


def reward_score(traj: dict[str, Any]) -> float:
    return float(traj["reward"])


def label_pending(url: str, task_id: int, annotator: str = "teacher", teacher: SyntheticTeacher | None = None,
                  score: Score = reward_score, limit: int | None = None, timeout: float = 60.0) -> dict[str, int]:
    """Label pairs of `task_id` until none is left for `annotator` (or `limit`); returns counts per choice."""
    teacher = teacher or SyntheticTeacher()
    counts: dict[str, int] = {}
    api = ApiClient(url, timeout=timeout)
    try:
        while limit is None or sum(counts.values()) < limit:
            pair = api.get("/api/pairs/next", task_id=task_id, annotator=annotator)["pair"]
            if pair is None:
                break
            choice = teacher.label(score(pair["left"]), score(pair["right"]))
            api.post("/api/labels", {"submission_id": str(uuid.uuid4()), "pair_id": pair["id"], "annotator": annotator,
                                     "choice": choice, "left_traj": pair["left"]["id"],
                                     "right_traj": pair["right"]["id"], "time_spent_ms": 1000})
            counts[choice] = counts.get(choice, 0) + 1
    finally:
        api.close()
    return counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default="http://127.0.0.1:7860")
    ap.add_argument("--task-id", type=int, required=True)
    ap.add_argument("--annotator", default="teacher")
    ap.add_argument("--flip", type=float, default=0.0, help="probability of reversing a decisive answer")
    ap.add_argument("--tie-margin", type=float, default=0.0)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    teacher = SyntheticTeacher(flip_prob=args.flip, tie_margin=args.tie_margin, seed=args.seed)
    print(label_pending(args.url, args.task_id, args.annotator, teacher, limit=args.limit))


if __name__ == "__main__":
    main()

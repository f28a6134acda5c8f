"""A synthetic annotator that labels through the HTTP API, like a person in the browser would.

    python -m tests.support.http_teacher --url http://127.0.0.1:7860 --task-id 1 --data-dir DATA

Why over HTTP: end-to-end tests and demos of a full round need labels without people, and
going through /api/pairs/next and /api/labels exercises exactly the path people use
(scheduling, leases, idempotent submissions). Answers come from `pgt_core.pairs.SyntheticTeacher`
applied to a score of each trajectory (the episode reward unless told otherwise). Blind tasks show
annotators no reward, so where the served episode lacks it the teacher looks the episode up with the
researcher token: a stand-in for a person who sees the outcome in the video.
"""
from __future__ import annotations

import argparse
import uuid
from pathlib import Path
from typing import Any, Callable

from labeler.api_client import ApiClient
from labeler.files.tokens import Tokens
from pgt_core.pairs import SyntheticTeacher

Score = Callable[[dict[str, Any]], float]


def reward_score(traj: dict[str, Any]) -> float:
    return float(traj["reward"])


def label_pending(url: str, task_id: int, annotator: str = "teacher", teacher: SyntheticTeacher | None = None,
                  score: Score = reward_score, limit: int | None = None, timeout: float = 60.0,
                  token: str | None = None) -> dict[str, int]:
    """Label pairs of `task_id` until none is left for `annotator` (or `limit`); returns counts per choice.

    `token` (the researcher's) lets the teacher see the outcome of episodes a blind task hides."""
    teacher = teacher or SyntheticTeacher()
    counts: dict[str, int] = {}
    api = ApiClient(url, timeout=timeout)
    lookup = ApiClient(url, token=token, timeout=timeout) if token else None

    def seen(episode: dict[str, Any]) -> dict[str, Any]:
        if episode.get("reward") is not None:
            return episode
        if lookup is None:
            raise ValueError("this task is blind: pass the researcher token to see the episodes' outcomes")
        return {**episode, **lookup.get(f"/api/trajectories/{episode['id']}")}

    try:
        while limit is None or sum(counts.values()) < limit:
            pair = api.get("/api/pairs/next", task_id=task_id, annotator=annotator)["pair"]
            if pair is None:
                break
            choice = teacher.label(score(seen(pair["left"])), score(seen(pair["right"])))
            api.post("/api/labels", {"submission_id": str(uuid.uuid4()), "pair_id": pair["id"], "annotator": annotator,
                                     "choice": choice, "left_traj": pair["left"]["id"],
                                     "right_traj": pair["right"]["id"], "time_spent_ms": 1000})
            counts[choice] = counts.get(choice, 0) + 1
    finally:
        api.close()
        if lookup is not None:
            lookup.close()
    return counts


def answer_pending(url: str, task_id: int, annotator: str = "teacher", score: Score = reward_score,
                   token: str | None = None, timeout: float = 60.0) -> dict[str, int]:
    """Answer every item of `task_id` left for `annotator` through /api/next, in its mode: a pair by the higher
    score (tie when equal), one episode good when it succeeded else bad, K episodes by their order of scores
    (equal scores share a tier; a skip when all are equal). Returns counts per kind of answer."""
    counts: dict[str, int] = {}
    api = ApiClient(url, timeout=timeout)
    lookup = ApiClient(url, token=token, timeout=timeout) if token else None

    def seen(episode: dict[str, Any]) -> dict[str, Any]:
        if episode.get("reward") is not None or lookup is None:
            return episode
        return {**episode, **lookup.get(f"/api/trajectories/{episode['id']}")}

    try:
        while (item := api.get("/api/next", task_id=task_id, annotator=annotator, client="teacher")["item"]):
            sub = str(uuid.uuid4())
            if item["kind"] == "pair":
                a, b = score(seen(item["left"])), score(seen(item["right"]))
                choice = "left" if a > b else "right" if b > a else "tie"
                api.post("/api/labels", {"submission_id": sub, "pair_id": item["id"], "annotator": annotator,
                                         "choice": choice, "left_traj": item["left"]["id"],
                                         "right_traj": item["right"]["id"], "time_spent_ms": 1000})
                kind = choice
            else:
                episodes = [seen(e) for e in item["episodes"]]
                shown = [e["id"] for e in episodes]
                if item["kind"] == "episode":
                    answer = {"grade": "good" if episodes[0]["success"] else "bad"}
                else:
                    by_score: dict[float, list[str]] = {}
                    for e in episodes:
                        by_score.setdefault(score(e), []).append(e["id"])
                    tiers = [by_score[k] for k in sorted(by_score, reverse=True)]
                    answer = {"order": tiers} if len(tiers) > 1 else {"skip": True}
                api.post("/api/answers", {"submission_id": sub, "question_id": item["id"], "annotator": annotator,
                                          "answer": answer, "shown": shown, "time_spent_ms": 2000})
                kind = answer.get("grade") or ("skip" if "skip" in answer else "ranking")
            counts[kind] = counts.get(kind, 0) + 1
    finally:
        api.close()
        if lookup is not None:
            lookup.close()
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
    ap.add_argument("--data-dir", type=Path, default=None,
                    help="the app's data directory (its researcher token shows outcomes on blind tasks)")
    args = ap.parse_args()
    teacher = SyntheticTeacher(flip_prob=args.flip, tie_margin=args.tie_margin, seed=args.seed)
    token = Tokens.load_or_create(args.data_dir).researcher if args.data_dir else None
    print(label_pending(args.url, args.task_id, args.annotator, teacher, limit=args.limit, token=token))


if __name__ == "__main__":
    main()

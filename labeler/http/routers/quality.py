"""Annotator quality under /api/quality [researcher]: dashboard statistics, gold/repeat checks, adjudication.

  GET  /summary?task_id=&round_id=     alpha (overall, per task and round), gold accuracy, self-consistency,
                                       majority agreement, position bias, labels/hour, time per label,
                                       hourly activity, disagreements
  POST /checks {"task_id", "round_id"?, "n_gold"?: 5, "n_repeats"?: 5, "min_reward_gap"?: 0.5}
  GET  /checks?task_id=
  GET  /adjudication?task_id=&round_id=&decisive_only=false&include_resolved=false&include_undecided=false
                                       the queue (include_undecided: also pairs nobody preferred a side of)
  POST /adjudication {"pair_id", "decision": a|b|tie|both_bad|discard, "researcher", "note"?}
  GET  /adjudications?task_id=         the latest decision per pair
  GET  /resolved?task_id=&round_id=    one resolved preference per pair (pairwise labels)
  GET  /tuning-pairs?task_id=          everything a tune job of the task would read now, answers included
"""
from __future__ import annotations

from fastapi import APIRouter

from labeler.domain.agreement import disagreements
from labeler.domain.episodes import episode_view
from labeler.domain.label_records import LabelRecord, records
from labeler.domain.preferences import resolved_preferences, tuning_pair_records
from labeler.domain.quality_checks import add_gold_checks, add_repeat_checks
from labeler.domain.quality_report import quality_report
from labeler.http.auth import RESEARCHERS
from labeler.http.deps import State
from labeler.http.schemas.common import ERRORS
from labeler.http.schemas.quality import (
    Adjudication,
    AdjudicationIn,
    Check,
    ChecksIn,
    Disputed,
    PlantedChecks,
    Resolved,
    Summary,
    TuningPair,
)
from labeler.http.state import AppState
from labeler.identifiers import check_name

router = APIRouter(prefix="/api/quality", tags=["quality"], dependencies=RESEARCHERS, responses=ERRORS)


def _labels(st: AppState, task_id: int, round_id: int | None) -> list[LabelRecord]:
    st.store.tasks.get(task_id)  # 404 for an unknown task
    recs = records(st.store.labels.list(task_id=task_id, limit=None))
    return [r for r in recs if round_id is None or r.round_id == round_id]


@router.get("/summary", response_model=Summary)
def summary(st: State, task_id: int, round_id: int | None = None) -> dict:
    q = st.store.quality
    report = quality_report(_labels(st, task_id, round_id), gold=q.gold(task_id), canonical=q.aliases())
    return {**report, "task_id": task_id, "round_id": round_id,
            "checks": {"gold": len(q.checks(task_id, "gold")), "repeat": len(q.checks(task_id, "repeat"))}}


@router.post("/checks", status_code=201, response_model=PlantedChecks)
def plant_checks(body: ChecksIn, st: State) -> dict:
    st.store.tasks.get(body.task_id)
    return {"gold": add_gold_checks(st.store, body.task_id, body.round_id, body.n_gold, body.min_reward_gap),
            "repeats": add_repeat_checks(st.store, body.task_id, body.round_id, body.n_repeats)}


@router.get("/checks", response_model=list[Check])
def list_checks(st: State, task_id: int) -> list[dict]:
    return st.store.quality.checks(task_id)


@router.get("/adjudication", response_model=list[Disputed])
def adjudication_queue(st: State, task_id: int, round_id: int | None = None, decisive_only: bool = False,
                       include_resolved: bool = False, include_undecided: bool = False) -> list[dict]:
    resolved = {int(r["pair_id"]): r for r in st.store.quality.adjudications(task_id)}
    out = []
    for d in disagreements(_labels(st, task_id, round_id), decisive_only=decisive_only):
        if d.pair_id in resolved and not include_resolved:
            continue
        if not (d.has_decisive_vote or include_undecided):  # tie vs both bad: no decision yields a DPO pair
            continue
        out.append({**d.to_dict(), "a": episode_view(st.store.trajectories.get(d.traj_a)),
                    "b": episode_view(st.store.trajectories.get(d.traj_b)), "resolution": resolved.get(d.pair_id)})
    return out


@router.post("/adjudication", status_code=201, response_model=Adjudication)
def adjudicate(body: AdjudicationIn, st: State) -> dict:
    return st.store.quality.add_adjudication(body.pair_id, body.decision, check_name(body.researcher, "researcher"),
                                             body.note)


@router.get("/adjudications", response_model=list[Adjudication])
def list_adjudications(st: State, task_id: int) -> list[dict]:
    return st.store.quality.adjudications(task_id)


@router.get("/tuning-pairs", response_model=list[TuningPair])
def tuning_pairs_of(st: State, task_id: int) -> list[dict]:
    st.store.tasks.get(task_id)
    return tuning_pair_records(st.store, task_id)


@router.get("/resolved", response_model=list[Resolved])
def resolved(st: State, task_id: int, round_id: int | None = None) -> list[dict]:
    st.store.tasks.get(task_id)
    return resolved_preferences(st.store, task_id, round_id)

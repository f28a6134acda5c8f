"""Rounds in people's terms: what each feedback mode asks, active order, the blind A/B evaluation, the promote
confirmation and the round's size in minutes (the state machine driven through its jobs, no worker)."""
from __future__ import annotations

import numpy as np
import pytest

from labeler.db.store import Store
from labeler.domain.ab_eval import ab_result
from labeler.domain.evaluation_plan import plan_evaluation
from labeler.domain.latents import LatentLibrary
from labeler.domain.preferences import AB_EVAL, tuning_pairs
from labeler.domain.round_config import RoundConfig
from labeler.domain.round_items import episodes_for_items, items_for_episodes, make_round_items
from labeler.domain.round_jobs import RoundJobs
from labeler.domain.round_plan import plan_round
from labeler.domain.round_views import RoundViews
from labeler.domain.rounds import Rounds
from labeler.errors import Conflict, Invalid
from labeler.files.artifacts import Artifacts
from pgt_core.human_time import MIN_MEASURED, seconds_per_answer
from pgt_core.stats import difference_half_width, episodes_for_difference_half_width


@pytest.fixture
def machine(tmp_path):
    store = Store(tmp_path / "r.duckdb")
    library = LatentLibrary(store)
    rounds = Rounds(store, Artifacts(tmp_path / "artifacts"), library, RoundJobs(store, library, "untrained"))
    task = store.tasks.create("wood", "collect_wood", 20)
    z0 = store.latents.add(task["id"], np.zeros(512), "prompt")
    yield store, rounds, RoundViews(store, library), task, z0
    store.close()


def episodes(store: Store, task: dict, rnd: dict, latent: dict, n: int, prefix: str = "ep",
             success=lambda i: False) -> list[str]:
    ids = []
    for i in range(n):
        tid = f"{prefix}-{i}"
        store.trajectories.add(tid, task["id"], seed=i, length=19, reward=float(success(i)), success=success(i),
                               events=[], artifact=f"{tid}.npz", round_id=rnd["id"], latent_id=latent["id"],
                               artifact_sha256="ab" * 32)
        ids.append(tid)
    return ids


def finish(store: Store, job_id: int, result: dict) -> None:
    job = store.jobs.claim("w", [store.jobs.get(job_id)["kind"]])
    store.jobs.complete(job_id, job["lease"], result)


def test_each_feedback_mode_asks_its_own_items(machine):
    store, _, _, task, z0 = machine
    rnd = store.rounds.create(task["id"], z0["id"], "labelling")
    ids = episodes(store, task, rnd, z0, 10)
    per_episode = RoundConfig.from_dict({"feedback": "per_episode", "round_size": 10})
    assert make_round_items(store, rnd, ids, per_episode) == 10 == items_for_episodes(per_episode, 10)
    questions = store.questions.list(task["id"])
    assert sorted(q["episodes"][0] for q in questions) == sorted(ids) and {q["mode"] for q in questions} == {
        "per_episode"}

    best_of_4 = RoundConfig.from_dict({"feedback": "best_of_k", "k": 4, "round_size": 10})
    assert make_round_items(store, rnd, ids, best_of_4) == 3 == items_for_episodes(best_of_4, 10)
    groups = [q["episodes"] for q in store.questions.list(task["id"]) if q["mode"] == "best_of_k"]
    assert all(len(g) == len(set(g)) == 4 for g in groups)  # every question shows K distinct episodes
    assert {t for g in groups for t in g} == set(ids)  # and every episode is asked about
    assert episodes_for_items(best_of_4, 3) == 12 and episodes_for_items(per_episode, 7) == 7

    pairwise = RoundConfig.from_dict({"pairs_per_traj": 2, "round_size": 10})
    assert make_round_items(store, rnd, ids, pairwise) == 10 == items_for_episodes(pairwise, 10)


def test_active_rounds_offer_the_least_certain_comparisons_first(machine):
    store, _, _, task, z0 = machine
    rnd = store.rounds.create(task["id"], z0["id"], "labelling")
    ids = episodes(store, task, rnd, z0, 12)
    implicit = {t: float(i) for i, t in enumerate(ids)}  # episode i's implicit reward is i
    cfg = RoundConfig.from_dict({"pair_selection": "active", "pairs_per_traj": 2, "round_size": 12})
    make_round_items(store, rnd, ids, cfg, implicit)
    pairs = store.pairs.list(task["id"])  # served oldest first within a round: creation order is the order
    margins = [abs(implicit[p["traj_a"]] - implicit[p["traj_b"]]) for p in pairs]
    greedy = margins[:len(margins) - round(len(margins) * 0.2)]
    assert greedy[0] == min(margins) and np.mean(greedy[:4]) < np.mean(margins)

    groups_cfg = RoundConfig.from_dict({"feedback": "best_of_k", "pair_selection": "active", "round_size": 12})
    make_round_items(store, rnd, ids, groups_cfg, implicit)
    first = store.questions.list(task["id"])[0]["episodes"]
    spread = max(implicit[t] for t in first) - min(implicit[t] for t in first)
    assert spread == 3.0  # four neighbours in reward: the least certain group comes first
    with pytest.raises(Invalid):
        RoundConfig.from_dict({"feedback": "per_episode", "pair_selection": "active"})


def test_answers_become_tuning_pairs_one_answer_one_unit(machine):
    store, _, _, task, z0 = machine
    rnd = store.rounds.create(task["id"], z0["id"], "labelling")
    ids = episodes(store, task, rnd, z0, 4)
    grades = store.questions.add(task["id"], "per_episode", [[t] for t in ids[:3]], rnd["id"])
    for q, grade in zip(grades, ("good", "bad", "bad"), strict=True):
        store.answers.add(submission_id=f"grade-answer-{q['id']}", question_id=q["id"], annotator="ann",
                          answer={"grade": grade}, shown=q["episodes"], time_spent_ms=3000)
    group = store.questions.add(task["id"], "best_of_k", [ids], rnd["id"])[0]
    store.answers.add(submission_id="ranking-1", question_id=group["id"], annotator="ann",
                      answer={"best": ids[3], "worst": ids[0]}, shown=ids, time_spent_ms=9000)
    pairs = tuning_pairs(store, task["id"])
    graded = [(p[0], p[1]) for p in pairs if "answer-" not in str(p[3])]
    assert sorted(graded) == [(ids[0], ids[1]), (ids[0], ids[2])]  # good x bad of one latent
    assert sum(p[4] for p in pairs if "answer-" not in str(p[3])) == pytest.approx(3.0)  # three grades
    ranking = [p for p in pairs if "answer-" in str(p[3])]
    assert {(p[0], p[1]) for p in ranking} >= {(ids[3], ids[0]), (ids[3], ids[1]), (ids[1], ids[0])}
    assert len({p[3] for p in ranking}) == 1  # one answer, one unit: its pairs are held out and batched together
    assert sum(p[4] for p in ranking) == pytest.approx(2.0)  # best and worst: two decisions, whatever K
    store.answers.undo(f"grade-answer-{grades[0]['id']}", "changed my mind")
    assert not [p for p in tuning_pairs(store, task["id"]) if "answer-" not in str(p[3])]  # no good left


def _evaluated_round(store: Store, rounds: Rounds, task: dict, z0: dict, config: dict, cand_success: list[bool],
                     start_success: list[bool]) -> tuple[dict, dict]:
    z1 = store.latents.add(task["id"], np.ones(512), "tuned", parent_id=z0["id"])
    rnd = store.rounds.create(task["id"], z0["id"], "evaluating", config)
    store.rounds.update(rnd["id"], candidate_latent_id=z1["id"])
    job = store.jobs.enqueue("evaluate", task["id"], {"round_id": rnd["id"], "seeds": list(range(len(cand_success))),
                                                      "latents": [{"id": z0["id"]}, {"id": z1["id"]}]})
    store.rounds.update(rnd["id"], job_id=job["id"])
    review = []
    for role, latent, success in (("prompt", z0, start_success), ("candidate", z1, cand_success)):
        for s in range(len(success)):
            tid = f"t1-r{rnd['id']}-e{role[:2]}-{s}"  # the real ids carry a random tag instead
            store.trajectories.add(tid, task["id"], seed=s, length=19, reward=float(success[s]), success=success[s],
                                   events=[], artifact=f"{tid}.npz", round_id=rnd["id"], latent_id=latent["id"],
                                   artifact_sha256="ab" * 32)
            review.append({"id": tid, "seed": s, "role": role, "latent_id": latent["id"]})
    rates = [{"latent_id": z0["id"], "role": "prompt", "success_rate": np.mean(start_success), "mean_reward": 0.0,
              "success": start_success},
             {"latent_id": z1["id"], "role": "candidate", "success_rate": np.mean(cand_success), "mean_reward": 0.0,
              "success": cand_success}]
    finish(store, job["id"], {"seeds": list(range(len(cand_success))), "rates": rates, "review": review})
    rounds.reconcile()
    return store.rounds.get(rnd["id"]), {r["seed"]: r["id"] for r in review if r["role"] == "candidate"}


def test_human_evaluation_is_a_blind_ab_with_a_win_rate_and_never_tuning_data(machine):
    store, rounds, views, task, z0 = machine
    rnd, candidate_of = _evaluated_round(store, rounds, task, z0, {"evaluation": "human", "ab_pairs": 6},
                                         [False] * 8, [False] * 8)
    assert rnd["status"] == "review"
    ab = [p for p in store.pairs.list(task["id"]) if p["source"] == AB_EVAL]
    assert len(ab) == 6 and all(p["round_id"] == rnd["id"] for p in ab)
    assert views.round_view(rnd["id"])["evaluation"]["human"]["answered"] == 0
    for n, p in enumerate(ab):  # people prefer the candidate on 1 of 6 seeds, the start on 5
        cand = p["traj_a"] if p["traj_a"] in candidate_of.values() else p["traj_b"]
        other = p["traj_b"] if cand == p["traj_a"] else p["traj_a"]
        winner = cand if n == 0 else other
        store.labels.add(submission_id=f"ab-label-{n}", pair_id=p["id"], annotator="ann",
                         choice="left" if winner == p["traj_a"] else "right", left_traj=p["traj_a"],
                         right_traj=p["traj_b"], time_spent_ms=4000)
    human = ab_result(store, store.rounds.get(rnd["id"]))
    assert (human["wins"], human["losses"], human["ties"], human["answered"]) == (1, 5, 0, 6)
    assert human["rate"] == pytest.approx(1 / 6) and human["interval"]["low"] < 1 / 6 < human["interval"]["high"]
    assert tuning_pairs(store, task["id"]) == []  # judgements of the candidate, not preferences to tune on
    view = views.round_view(rnd["id"])
    assert view["advice"]["needs_confirmation"] and "blind comparisons" in view["advice"]["flag"]
    with pytest.raises(Conflict, match="confirm"):
        rounds.promote(rnd["id"])
    assert rounds.promote(rnd["id"], confirm=True)["status"] in ("promoting", "promoted")


def test_a_candidate_worse_on_success_needs_a_confirmation_a_better_one_does_not(machine):
    store, rounds, views, task, z0 = machine
    worse, _ = _evaluated_round(store, rounds, task, z0, {}, [False] * 10, [True] * 5 + [False] * 5)
    assert views.round_view(worse["id"])["advice"]["needs_confirmation"]
    with pytest.raises(Conflict):
        rounds.promote(worse["id"])
    assert not [p for p in store.pairs.list(task["id"]) if p["source"] == AB_EVAL]  # success only: no A/B
    rounds.reject(worse["id"])
    better, _ = _evaluated_round(store, rounds, task, z0, {}, [True] * 10, [False] * 10)
    assert views.round_view(better["id"])["advice"]["button"] == "Promote (significantly better)"
    assert rounds.promote(better["id"])["status"] in ("promoting", "promoted")


def test_a_task_without_a_reward_function_is_evaluated_by_people(machine):
    store, rounds, views, _, _ = machine
    task = store.tasks.create("tidy", "", 100)
    z0 = store.latents.add(task["id"], np.zeros(512), "prompt")
    for bad in ({}, {"evaluation": "both"}, {"evaluation": "human", "preferences": "reward"}):
        with pytest.raises(Invalid):
            rounds.start_round(task["id"], bad)
    assert rounds.start_round(task["id"], {"evaluation": "human", "round_size": 4})["status"] == "collecting"

    # its review: people's A/B, no success figures (the worker counts no success without an achievement)
    rnd, _ = _evaluated_round(store, rounds, task, z0, {"evaluation": "human", "ab_pairs": 4}, [False] * 6,
                              [False] * 6)
    ev = views.round_view(rnd["id"])["evaluation"]
    assert ev["method"] == "human" and ev["success_measured"] is False and ev["comparisons"] == {}
    assert [(r["success_rate"], r["mean_reward"], r["interval"]) for r in ev["rates"]] == [(None, None, None)] * 2
    review = views.review(rnd["id"])
    assert review["method"] == "human" and not review["success_measured"] and review["counts"] == {}
    assert all(r["outcome"] is None and r["after"]["success"] is None and r["before"]["reward"] is None
               for r in review["rows"])
    assert ev["human"]["answered"] == 0
    advice = views.round_view(rnd["id"])["advice"]  # nobody judged it yet: promoting is not a click away
    assert advice["needs_confirmation"] and "no human judgement" in advice["flag"]
    with pytest.raises(Conflict, match="no human judgement"):
        rounds.promote(rnd["id"])
    assert rounds.promote(rnd["id"], confirm=True)["status"] in ("promoting", "promoted")
    assert all(lat["success_rate"] is None for lat in LatentLibrary(store).library(task["id"], [rnd]))


def test_a_round_judged_by_success_and_people_waits_for_people_too(machine):
    store, rounds, views, task, z0 = machine
    rnd, _ = _evaluated_round(store, rounds, task, z0, {"evaluation": "both", "ab_pairs": 2}, [True] * 10,
                              [False] * 10)  # significantly better on success, but nobody has looked yet
    view = views.round_view(rnd["id"])
    assert view["evaluation"]["method"] == "both" and view["evaluation"]["success_measured"]
    assert view["evaluation"]["comparisons"]["vs_start"]["significant"]
    assert view["advice"]["needs_confirmation"] and "no human judgement" in view["advice"]["flag"]


def test_tune_jobs_hold_out_whole_episodes_once_episodes_are_graded(machine):
    store, rounds, _, task, z0 = machine
    rnd = store.rounds.create(task["id"], z0["id"], "labelling", {"val_fraction": 0.2})
    ids = episodes(store, task, rnd, z0, 4)
    pair = store.pairs.add(task["id"], [(ids[0], ids[1])], rnd["id"], source="round")[0]
    store.labels.add(submission_id="split-label-1", pair_id=pair["id"], annotator="ann", choice="left",
                     left_traj=pair["traj_a"], right_traj=pair["traj_b"], time_spent_ms=1000)
    tune = rounds.start_tuning(rnd["id"])
    assert store.jobs.get(tune["job_id"])["payload"]["hyper"]["split_by"] == "group"  # pairwise only: by answer
    store.jobs.cancel(tune["job_id"], "test")
    store.rounds.update(rnd["id"], status="labelling")
    for n, q in enumerate(store.questions.add(task["id"], "per_episode", [[t] for t in ids], rnd["id"])):
        store.answers.add(submission_id=f"split-grade-{n}", question_id=q["id"], annotator="ann",
                          answer={"grade": "good" if n < 2 else "bad"}, shown=q["episodes"], time_spent_ms=2000)
    tune = rounds.start_tuning(rnd["id"])
    assert store.jobs.get(tune["job_id"])["payload"]["hyper"]["split_by"] == "episode"


def test_round_plan_in_minutes_model_then_measured_and_presets(machine):
    store, _, _, task, z0 = machine
    cfg = RoundConfig.from_dict({"feedback": "per_episode", "round_size": 30})
    plan = plan_round(store, task["id"], cfg, people=1, labels_per_item=3)
    per = seconds_per_answer("per_episode", 21)  # no episodes yet: the time limit, 20 steps = 21 frames
    assert plan["source"] == "model" and plan["seconds_per_answer"] == pytest.approx(per, abs=0.01)
    assert plan["answers"] == 30 and plan["minutes"] == pytest.approx(30 * per / 60, abs=0.05)  # one person
    assert plan_round(store, task["id"], cfg, people=3, labels_per_item=3)["answers"] == 90
    ten = next(p for p in plan["presets"] if p["name"] == "10 minutes, one person")
    sized = plan_round(store, task["id"], RoundConfig.from_dict(ten["settings"]), 1, 3)
    assert 10 - per / 60 <= sized["minutes"] <= 10 + per / 60

    rnd = store.rounds.create(task["id"], z0["id"], "labelling")
    ids = episodes(store, task, rnd, z0, MIN_MEASURED)
    for n, q in enumerate(store.questions.add(task["id"], "per_episode", [[t] for t in ids], rnd["id"])):
        store.answers.add(submission_id=f"timed-answer-{n}", question_id=q["id"], annotator="ann",
                          answer={"grade": "bad"}, shown=q["episodes"], time_spent_ms=[4000, 6000, 5000, 7000, 5000][n])
    measured = plan_round(store, task["id"], cfg, people=1, labels_per_item=3)
    assert measured["source"] == "measured" and measured["seconds_per_answer"] == 5.0
    assert measured["measured_answers"] == MIN_MEASURED and measured["minutes"] == pytest.approx(2.5)


def test_the_evaluation_plan_states_the_reviews_interval_and_time(machine):
    store, rounds, _, task, z0 = machine
    cfg = RoundConfig.from_dict({"eval_episodes": 50})
    plan = plan_evaluation(store, LatentLibrary(store), task["id"], cfg, half_width=0.1)
    assert plan["p_guess"] == 0.5 and plan["latents"] == 2 and plan["source"] == "model"  # nothing measured yet
    assert plan["half_width"] == pytest.approx(difference_half_width(0.5, 0.5, 50), abs=1e-3)
    assert plan["episodes_for_target"] == episodes_for_difference_half_width(0.5, 0.5, 0.1)
    assert difference_half_width(0.5, 0.5, plan["episodes_for_target"]) <= 0.1
    # the candidate's 50 episodes of the 20-step limit on the documented model: z0 is played while people label
    assert plan["seconds"] == pytest.approx(50 * 20 * 0.002)
    # after an evaluation: its start's measured rate and its job's seconds per episode
    rnd, _ = _evaluated_round(store, rounds, task, z0, {}, [True] * 10, [True] * 2 + [False] * 8)
    measured = plan_evaluation(store, LatentLibrary(store), task["id"], cfg)
    assert measured["p_guess"] == 0.2 and measured["source"] == "measured"
    assert measured["seconds"] < plan["seconds"]  # that job took well under the model's 2 ms per step
    assert measured["half_width"] < plan["half_width"]  # a rate far from 0.5 varies less

"""A round that starts from a promoted candidate takes that candidate's background episodes as its own, sized by
*its* settings: a smaller round the first ones, a larger one collects only what is missing; the candidate's
episodes carry implicit rewards whatever the earlier round's selection, so an active round can order them.
Jobs run in this process with the worker's own runners."""
from __future__ import annotations

import pytest

from labeler.db.store import Store
from labeler.domain.round_config import RoundConfig, train_seeds
from labeler.domain.round_items import items_for_episodes
from tests.support.inline_worker import label_everything, round_machine, tune_to

FIRST = {"round_size": 4, "pairs_per_traj": 1, "eval_episodes": 1, "review_videos": 1, "batch_size": 4}


@pytest.fixture
def promoted(tmp_path):
    """A task whose round 1 (random selection, 4 episodes) was promoted, its candidate's 4 episodes in."""
    store, _, rounds, worker, task, _ = round_machine(tmp_path)
    first = rounds.start_round(task["id"], FIRST)
    worker.run_next("rollout")
    worker.run_next("evaluate")  # z0, while people label
    label_everything(store, first["id"])
    tune_to(worker, rounds, first["id"], seed=1)
    worker.run_next("evaluate")
    rounds.promote(first["id"], confirm=True)
    worker.run_next("rollout")
    first = store.rounds.get(first["id"])
    assert first["status"] == "promoted" and first["result"]["rollout"]["episodes"] == 4
    yield store, rounds, worker, task, first
    store.close()


def round_episodes(store: Store, round_id: int) -> set[str]:
    rnd = store.rounds.get(round_id)
    pairs = [p for p in store.pairs.list(rnd["task_id"]) if p["round_id"] == round_id]
    return {t for p in pairs for t in (p["traj_a"], p["traj_b"])}


def test_a_smaller_round_takes_the_first_of_the_candidates_episodes_and_orders_them_actively(promoted):
    store, rounds, worker, task, first = promoted
    candidate_eps = {t["seed"]: t for t in store.trajectories.list(task["id"], first["id"])
                     if (t["meta"] or {}).get("purpose") == "candidate"}
    assert all(t["meta"].get("implicit_reward") is not None for t in candidate_eps.values())  # round 1 was random
    cfg = {"round_size": 3, "pairs_per_traj": 2, "pair_selection": "active", "beta": 0.5}
    second = rounds.start_round(task["id"], cfg)
    assert second["status"] == "labelling" and not store.jobs.list(kind="rollout", status="queued")
    wanted = train_seeds(task["id"], second["number"], 3)  # the worlds a collect of this round would play
    assert round_episodes(store, second["id"]) == {candidate_eps[s]["id"] for s in wanted}
    assert len([p for p in store.pairs.list(task["id"]) if p["round_id"] == second["id"]]) == items_for_episodes(
        RoundConfig.from_dict(cfg), 3)


def test_a_larger_round_collects_only_the_episodes_it_lacks(promoted):
    store, rounds, worker, task, first = promoted
    reused = {t["id"] for t in store.trajectories.list(task["id"], first["id"])
              if (t["meta"] or {}).get("purpose") == "candidate"}
    second = rounds.start_round(task["id"], {"round_size": 6, "pairs_per_traj": 2, "pair_selection": "active"})
    assert second["status"] == "collecting"
    collect = store.jobs.get(second["job_id"])
    assert collect["payload"]["seeds"] == train_seeds(task["id"], second["number"], 6)[4:]
    worker.run_next("rollout")
    second = store.rounds.get(second["id"])
    collected = second["result"]["collect"]
    assert second["status"] == "labelling" and (collected["episodes"], collected["reused"]) == (2, 4)
    episodes = round_episodes(store, second["id"])
    assert len(episodes) == 6 and reused < episodes
    assert all((store.trajectories.get(t)["meta"] or {}).get("implicit_reward") is not None for t in episodes)

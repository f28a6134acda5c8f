"""Rounds end to end: the real app with its background worker, a synthetic teacher labelling over HTTP.

One full round on a tiny budget (6 episodes of 20 steps, 3 epochs, 4 evaluation seeds) with an
app restart while its tune job is in flight; then a round whose tuning fails (the latent stays);
then a second task tuned to show the first task's latent never moves (continual learning).
"""
from __future__ import annotations

import httpx
import numpy as np
import pytest

from labeler.domain.round_config import RoundConfig
from labeler.errors import Invalid
from labeler.http.plots import task_plots
from tests.support.http_teacher import answer_pending, label_pending
from tests.support.studio import TINY, Researcher, start_app, teacher_score


def test_round_config_defaults_and_validation():
    cfg = RoundConfig.from_dict({"round_size": "10", "lr": "0.05"})
    assert cfg.round_size == 10 and cfg.lr == 0.05 and cfg.beta == 0.1 and cfg.epochs == 50
    assert RoundConfig.from_dict({"epochs": 7}, cfg).round_size == 10  # overrides keep the base
    for bad in ({"lr": -1}, {"epochs": 0}, {"loss": "ppo"}, {"colour": 1}, {"review_videos": -1},
                {"beta": float("nan")}, {"round_size": "many"}):
        with pytest.raises(Invalid):
            RoundConfig.from_dict(bad)


def test_plots_render_per_round_and_per_epoch():
    hist = [{"epoch": e, "train_loss": 0.7 - 0.1 * e, "val_loss": 0.69, "train": {"margin": 0.1 * e, "accuracy": 0.5},
             "val": {}} for e in range(3)]
    rounds = [{"id": 1, "number": 1, "result": {
        "tune": {"history": hist, "best": hist[2]},
        "eval": {"rates": [{"role": "prompt", "success_rate": 0.2}, {"role": "candidate", "success_rate": 0.5}]}}},
        {"id": 2, "number": 2, "result": {}}]
    charts = task_plots(rounds)
    assert set(charts) == {"success", "loss", "margin", "accuracy", "epochs"}
    assert all(svg.startswith("<svg") and svg.endswith("</svg>") for svg in charts.values())
    assert "<circle" in charts["success"] and "<polyline" in charts["epochs"] and "Round 1" in charts["epochs"]
    assert "no data yet" in task_plots([])["loss"]


def labels_of(res: Researcher, task_id: int) -> list[dict]:
    return res.http.get("/api/labels", params={"task_id": task_id}).json()


def test_full_round_restart_failure_and_continual_learning(tmp_path):
    app = start_app(tmp_path)
    res = Researcher(app.url, tmp_path)
    try:
        # -- round 1 of task A: collect -> label (HTTP teacher) -> tune -> roll out -> evaluate -> review
        a = res.create_task("wood")
        z0 = np.array(res.active_vector(a["id"]))
        r1 = res("POST", f"/tasks/{a['id']}/rounds", 201, json={"config": TINY})
        assert r1["status"] == "collecting" and r1["number"] == 1
        r1 = res.wait_round(a["id"], r1["id"], ("labelling", "failed"))
        assert r1["status"] == "labelling", r1["error"]
        assert r1["pairs"] == 9 and r1["result"]["collect"]["episodes"] == 6
        counts = label_pending(app.url, a["id"], score=teacher_score, token=res.token)
        assert counts.get("left", 0) + counts.get("right", 0) == 9
        labels = labels_of(res, a["id"])
        res("POST", f"/rounds/{r1['id']}/tune", json={})

        # -- restart the app while the tune job is queued or running: nothing is lost
        app.stop()
        res.close()
        app = start_app(tmp_path)
        res = Researcher(app.url, tmp_path)
        assert labels_of(res, a["id"]) == labels
        assert res.round(a["id"], r1["id"])["status"] in ("tuning", "evaluating", "review")
        r1 = res.wait_round(a["id"], r1["id"], ("review", "failed"))
        assert r1["status"] == "review", r1["error"]

        tune = r1["result"]["tune"]
        assert [h["epoch"] for h in tune["history"]] == [0, 1, 2, 3] and tune["n_decisive"] == 9
        assert {"margin", "accuracy", "chosen_reward"} <= set(tune["best"]["train"])
        rates = {r["role"]: r for r in r1["result"]["eval"]["rates"]}
        assert set(rates) == {"prompt", "candidate"} and all(len(r["success"]) == 4 for r in rates.values())
        review = res("GET", f"/rounds/{r1['id']}/review")
        assert len(review["rows"]) == 2
        for row in review["rows"]:  # same seed, z0 before and the tuned latent after, both playable
            assert row["before"]["latent_id"] == rates["prompt"]["latent_id"]
            assert row["after"]["latent_id"] == r1["candidate_latent_id"]
            video = httpx.get(app.url + row["after"]["video_url"], timeout=30)
            assert video.status_code == 200 and video.content[4:8] == b"ftyp"
        plots = res("GET", f"/tasks/{a['id']}/plots")
        assert plots["success"].startswith("<svg") and "<polyline" in plots["epochs"]

        assert r1["rollout_job"] is not None  # the candidate's episodes roll out while the review is open
        promoted = res("POST", f"/rounds/{r1['id']}/promote")
        assert promoted["status"] in ("promoting", "promoted")  # promoting: waits for those episodes
        promoted = res.wait_round(a["id"], r1["id"], ("promoted", "failed"))
        assert promoted["status"] == "promoted" and promoted["result"]["rollout"]["episodes"] == 6
        view = res.task(a["id"])
        assert view["active_latent_id"] == r1["candidate_latent_id"]
        z1 = np.array(res.active_vector(a["id"]))
        assert not np.allclose(z1, z0)
        ids = f"{rates['prompt']['latent_id']},{r1['candidate_latent_id']}"
        cmp = res("GET", "/latents/compare", params={"ids": ids})
        assert cmp["cosine"][0][0] == pytest.approx(1.0) and cmp["l2"][0][1] > 0

        # -- round 2 starts from the promoted latent's rollouts; a failing tune keeps that latent
        r2 = res("POST", f"/tasks/{a['id']}/rounds", 201, json={"config": TINY})
        assert r2["status"] == "labelling" and r2["pairs"] == 9 and r2["base_latent_id"] == r1["candidate_latent_id"]
        label_pending(app.url, a["id"], score=teacher_score, token=res.token)
        absurd = res("POST", f"/rounds/{r2['id']}/tune", 422, json={"config": {"lr": 1e38}})
        assert absurd["detail"][0]["loc"][-1] == "lr" and "between" in absurd["detail"][0]["msg"]  # said beside lr
        kept = tmp_path / "artifacts" / "trajectories"
        lost = next(kept.glob(f"t{a['id']}-r1-L{r1['candidate_latent_id']}-*.npz"))
        lost.unlink()  # a tune that cannot fetch its data fails for good, and changes nothing
        res("POST", f"/rounds/{r2['id']}/tune")
        r2 = res.wait_round(a["id"], r2["id"], ("failed", "review"))
        assert r2["status"] == "failed" and "no artifact" in r2["error"], r2
        assert r2["job"]["status"] == "failed" and r2["job"]["attempts"] == 1  # not retried: it would fail again
        assert res.task(a["id"])["active_latent_id"] == r1["candidate_latent_id"]
        assert np.allclose(res.active_vector(a["id"]), z1)
        assert res("POST", f"/rounds/{r2['id']}/reject")["status"] == "rejected"

        # -- continual learning: tuning task B never changes task A's latent
        library_a = [(lat["id"], lat["norm"]) for lat in res.task(a["id"])["latents"]]
        b = res.create_task("drink", "collect_drink", "collect_drink")
        small = {**TINY, "eval_episodes": 2, "review_videos": 1}
        rb = res("POST", f"/tasks/{b['id']}/rounds", 201, json={"config": small})
        rb = res.wait_round(b["id"], rb["id"], ("labelling", "failed"))
        label_pending(app.url, b["id"], score=teacher_score, token=res.token)
        res("POST", f"/rounds/{rb['id']}/tune", json={})
        rb = res.wait_round(b["id"], rb["id"], ("review", "failed"))
        assert rb["status"] == "review", rb["error"]
        res("POST", f"/rounds/{rb['id']}/promote")
        res.wait_round(b["id"], rb["id"], ("promoted",))
        assert res.task(b["id"])["active_latent_id"] == rb["candidate_latent_id"]
        assert res.task(a["id"])["active_latent_id"] == r1["candidate_latent_id"]
        assert np.allclose(res.active_vector(a["id"]), z1)
        assert [(lat["id"], lat["norm"]) for lat in res.task(a["id"])["latents"]] == library_a

        # -- roll back task A to z0 (and only task A)
        back = res("POST", f"/tasks/{a['id']}/rollback")
        assert back["rolled_back"] == r1["candidate_latent_id"] and np.allclose(res.active_vector(a["id"]), z0)
        assert res.task(b["id"])["active_latent_id"] == rb["candidate_latent_id"]
        res("POST", f"/tasks/{a['id']}/rollback", 409)  # nothing left to undo
    finally:
        res.close()
        app.stop()


def test_researcher_api_in_process_prompt_from_an_episode_and_job_specs(tmp_path):
    """No worker: check what the researcher API stores and what the jobs it queues ask for."""
    from fastapi.testclient import TestClient

    from labeler.config import AppConfig
    from labeler.files.tokens import Tokens
    from labeler.http.app import create_app
    from pgt_core.seeds import ROUND_WORLD_BASE
    from tests.support.synthetic import seed_data_dir

    seed_data_dir(tmp_path, n_traj=3, per_traj=1, length=24)
    cfg = AppConfig(data_dir=tmp_path, bootstrap=False, ui=False, checkpoint=tmp_path / "none.pt")
    with TestClient(create_app(cfg)) as client:
        client.headers["Authorization"] = f"Bearer {Tokens.load_or_create(tmp_path).researcher}"
        ov = client.get("/api/researcher/overview").json()
        assert ov["policy"] == "untrained" and "collect_drink" in ov["achievements"] and ov["defaults"]["epochs"] == 50
        body = {"name": "from_clip", "achievement": "collect_drink", "max_steps": 30,
                "prompt": {"kind": "trajectory", "trajectory_id": "syn-r1-0", "start": 4}}
        task = client.post("/api/researcher/tasks", json=body)
        assert task.status_code == 201, task.text
        tid = task.json()["id"]
        view = client.get(f"/api/researcher/tasks/{tid}").json()
        z0 = view["latents"][0]
        assert z0["source"] == "prompt" and z0["active"] and z0["meta"]["prompt"]["start"] == 4
        for bad, status in (({"prompt": {"kind": "trajectory", "trajectory_id": "nope"}}, 404),
                            ({"prompt": {"kind": "video"}}, 422), ({"achievement": "fly"}, 422),
                            ({"name": "from_clip"}, 409)):
            assert client.post("/api/researcher/tasks", json={**body, "name": "other", **bad}).status_code == status
        assert client.post(f"/api/researcher/tasks/{tid}/rounds", json={"config": {"epochs": -1}}).status_code == 422

        rnd = client.post(f"/api/researcher/tasks/{tid}/rounds", json={"config": {"round_size": 5}}).json()
        assert rnd["status"] == "collecting" and rnd["job"]["kind"] == "rollout"
        spec = client.get(f"/api/jobs/{rnd['job']['id']}").json()["payload"]
        start = ROUND_WORLD_BASE + tid * 1_000_000 + 10_000
        assert spec["seeds"] == list(range(start, start + 5)) and spec["policy"] == "untrained"
        assert spec["id_prefix"] == f"t{tid}-r1-L{z0['id']}" and len(spec["z"]) == 512
        assert spec["task"]["max_steps"] == 30
        again = client.post(f"/api/researcher/tasks/{tid}/rounds", json={})
        assert again.status_code == 409  # one open round per task
        assert client.post(f"/api/researcher/rounds/{rnd['id']}/tune", json={}).status_code == 409  # still collecting
        assert client.post(f"/api/researcher/rounds/{rnd['id']}/promote").status_code == 409
        assert client.post(f"/api/researcher/tasks/{tid}/rollback").status_code == 409


@pytest.mark.slow  # the blind A/B through the real worker also runs in the reward-less round below
def test_best_of_k_round_with_a_blind_ab_evaluation_end_to_end(tmp_path):
    """The real worker: K-groups to rank, tuning on the orderings they imply (one answer one unit), an evaluation
    whose blind A/B pairs people answer in the normal queue, and the review's win rate."""
    app = start_app(tmp_path)
    res = Researcher(app.url, tmp_path)
    try:
        task = res.create_task("groups")
        config = {**TINY, "feedback": "best_of_k", "k": 3, "evaluation": "both", "ab_pairs": 2}
        rnd = res("POST", f"/tasks/{task['id']}/rounds", 201, json={"config": config})
        rnd = res.wait_round(task["id"], rnd["id"], ("labelling", "failed"))
        assert rnd["status"] == "labelling", rnd["error"]
        assert rnd["questions"] == 2 and rnd["pairs"] == 0  # six episodes in two groups of three
        assert answer_pending(app.url, task["id"], score=teacher_score, token=res.token) == {"ranking": 2}
        assert res("GET", f"/tasks/{task['id']}")["rounds"][0]["answers"] == 2
        res("POST", f"/rounds/{rnd['id']}/tune", json={})
        rnd = res.wait_round(task["id"], rnd["id"], ("review", "failed"))
        assert rnd["status"] == "review", rnd["error"]
        assert rnd["result"]["tune"]["n_decisive"] == 6  # two rankings of three: three orderings each
        human = rnd["evaluation"]["human"]
        assert human["pairs"] == 2 and human["answered"] == 0
        answered = answer_pending(app.url, task["id"], annotator="judge", score=teacher_score, token=res.token)
        assert answered.pop("ranking") == 2  # a second person ranks the groups too (k people per item)
        assert sum(answered.values()) == 2  # and answers the A/B pairs, served like any pair
        human = res.round(task["id"], rnd["id"])["evaluation"]["human"]
        assert human["answered"] == 2 and human["wins"] + human["losses"] + human["ties"] == 2
        labels = res.http.get("/api/labels", params={"task_id": task["id"]}).json()
        assert {lab["pair_source"] for lab in labels} == {"ab_eval"}
        advice = res.round(task["id"], rnd["id"])["advice"]
        promote = res("POST", f"/rounds/{rnd['id']}/promote", json={"confirm": advice["needs_confirmation"]})
        assert promote["status"] in ("promoting", "promoted")
    finally:
        res.close()
        app.stop()


def test_a_task_without_a_reward_function_is_tuned_and_judged_by_people_end_to_end(tmp_path):
    """Created from a prompt clip alone, through the real worker: collect, people's labels, tune, a blind A/B of
    start vs candidate that people answer, its win rate in the review (no success figures), promote."""
    app = start_app(tmp_path)
    res = Researcher(app.url, tmp_path)
    try:
        task = res.create_task("tidy", achievement="")
        config = {**TINY, "evaluation": "human", "ab_pairs": 2, "eval_episodes": 2}
        rnd = res("POST", f"/tasks/{task['id']}/rounds", 201, json={"config": config})
        rnd = res.wait_round(task["id"], rnd["id"], ("labelling", "failed"))
        assert rnd["status"] == "labelling", rnd["error"]
        label_pending(app.url, task["id"], score=teacher_score, token=res.token)
        res("POST", f"/rounds/{rnd['id']}/tune", json={})
        rnd = res.wait_round(task["id"], rnd["id"], ("review", "failed"))
        assert rnd["status"] == "review", rnd["error"]
        ev = rnd["evaluation"]
        assert ev["method"] == "human" and ev["success_measured"] is False and ev["comparisons"] == {}
        assert {r["success_rate"] for r in ev["rates"]} == {None} and ev["human"]["pairs"] == 2
        assert ev["human"]["answered"] == 0 and rnd["advice"]["needs_confirmation"]  # nobody has judged it yet
        refused = res("POST", f"/rounds/{rnd['id']}/promote", 409, json={})
        assert "no human judgement" in refused["detail"]
        review = res("GET", f"/rounds/{rnd['id']}/review")
        assert review["method"] == "human" and review["counts"] == {} and len(review["rows"]) == 2
        assert all(row["outcome"] is None and row["after"]["success"] is None for row in review["rows"])

        assert sum(label_pending(app.url, task["id"], annotator="judge", score=teacher_score,
                                 token=res.token).values()) >= 2  # the blind A/B pairs, served like any pair
        rnd = res.round(task["id"], rnd["id"])
        human = rnd["evaluation"]["human"]
        assert human["answered"] == 2 and human["wins"] + human["losses"] + human["ties"] == 2
        assert 0 <= human["interval"]["low"] <= human["rate"] <= human["interval"]["high"] <= 1
        res("POST", f"/rounds/{rnd['id']}/promote", json={"confirm": rnd["advice"]["needs_confirmation"]})
        rnd = res.wait_round(task["id"], rnd["id"], ("promoted", "failed"))
        assert rnd["status"] == "promoted" and res.task(task["id"])["active_latent_id"] == rnd["candidate_latent_id"]
    finally:
        res.close()
        app.stop()

"""After a rollback the rounds agree with the latent stack: the rolled-back round says so, and a round tuned
from the latent that is no longer active cannot be promoted on top of the one that is."""
from __future__ import annotations

from fastapi.testclient import TestClient

from labeler.config import AppConfig
from labeler.files.tokens import Tokens
from labeler.http.app import create_app
from tests.support.seeded_rounds import seed_rounds


def test_rollback_shows_in_the_rounds_and_blocks_promoting_a_round_from_the_old_latent(tmp_path):
    seeded = seed_rounds(tmp_path, "wood", [{"status": "promoted", "outcomes": [(False, True)]},
                                            {"status": "review", "outcomes": [(True, True)]}])
    task, (first, second) = seeded["task_id"], seeded["rounds"]
    with TestClient(create_app(AppConfig(data_dir=tmp_path, bootstrap=False, ui=False))) as client:
        client.headers["Authorization"] = f"Bearer {Tokens.load_or_create(tmp_path).researcher}"
        api = "/api/researcher"

        def rounds() -> dict[int, dict]:
            return {r["id"]: r for r in client.get(f"{api}/tasks/{task}").json()["rounds"]}

        before = rounds()
        assert not before[first]["rolled_back"] and before[second]["base_active"]
        assert client.post(f"{api}/tasks/{task}/rollback").status_code == 200
        after = rounds()
        assert after[first]["rolled_back"] and not after[second]["base_active"]
        refused = client.post(f"{api}/rounds/{second}/promote", json={"confirm": True})
        assert refused.status_code == 409 and "no longer the task's active latent" in refused.json()["detail"]

        assert client.post(f"{api}/latents/{seeded['latents'][1]}/promote").status_code == 200  # made active again
        assert not rounds()[first]["rolled_back"]
        assert client.post(f"{api}/rounds/{second}/promote", json={"confirm": True}).status_code == 200
        assert rounds()[second]["status"] == "promoted"


def test_a_rounds_result_answers_only_the_steps_it_has_done(tmp_path):
    """The typed result keeps its stored shape: steps not done yet are absent, not null."""
    seeded = seed_rounds(tmp_path, "wood", [{"status": "review", "outcomes": [(False, True), (False, True)]}])
    task, (rnd,) = seeded["task_id"], seeded["rounds"]
    with TestClient(create_app(AppConfig(data_dir=tmp_path, bootstrap=False, ui=False))) as client:
        client.headers["Authorization"] = f"Bearer {Tokens.load_or_create(tmp_path).researcher}"
        stored = client.get(f"/api/tasks/{task}/rounds").json()
        view = client.get(f"/api/researcher/tasks/{task}").json()["rounds"][0]
        review = client.get(f"/api/researcher/rounds/{rnd}/review").json()
    assert list(stored[0]["result"]) == list(view["result"]) == ["eval"]
    assert set(review["comparisons"]) <= {"vs_start", "vs_z0"} and review["comparisons"]
    assert set(view["evaluation"]["comparisons"]) == set(review["comparisons"])

"""The researcher's round form asks the app what a round would cost people before starting it; task settings
decide what annotators see (blind by default)."""
from __future__ import annotations

from labeler.domain.instructions import default_instructions
from tests.support.http_requests import next_pair, tokens


def test_round_plan_answers_minutes_and_presets_and_names_a_bad_field(env):
    client, seeded, cfg = env
    researcher, _ = tokens(cfg)
    url = f"/api/researcher/tasks/{seeded['task_id']}/round-plan"
    plan = client.post(url, json={"config": {"feedback": "best_of_k", "k": 4, "round_size": 40}}, headers=researcher)
    assert plan.status_code == 200, plan.text
    body = plan.json()
    assert body["items"] == 10 and body["answers"] == 10 and body["source"] == "model"
    assert body["episode_frames"] == 9  # the task's episodes so far are 8 steps long
    assert {p["name"] for p in body["presets"]} >= {"10 minutes, one person"}
    bad = client.post(url, json={"config": {"feedback": "thumbs"}}, headers=researcher)
    assert bad.status_code == 422 and "feedback" in bad.text
    assert client.post(url, json={}).status_code == 403  # researchers only


def test_hints_setting_decides_what_annotators_see(env):
    client, seeded, cfg = env
    researcher, _ = tokens(cfg)
    task_id = seeded["task_id"]
    blind = next_pair(client, task_id, "ann")["pair"]
    assert blind.get("target") is None and blind["left"].get("success") is None
    text = "Prefer the agent that reaches the trees first."
    r = client.patch(f"/api/tasks/{task_id}/settings", json={"hints": True, "instructions": text},
                     headers=researcher)
    assert r.status_code == 200 and r.json()["hints"] is True
    assert client.patch(f"/api/tasks/{task_id}/settings", json={"hints": True}).status_code == 403
    hinted = next_pair(client, task_id, "ann2")["pair"]
    assert hinted["target"] == "collect_wood" and hinted["left"]["success"] is not None
    listed = client.get("/api/tasks").json()[0]
    assert listed["instructions"] == text and listed["achievement"] == "collect_wood"


def test_default_instructions_say_what_better_means_and_when_to_abstain():
    text = default_instructions("Collect wood from a tree.")
    assert text.startswith("Goal: collect wood from a tree.")
    assert all(word in text for word in ("Better", "Tie", "Both bad", "Unsure"))

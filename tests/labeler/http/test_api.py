"""The HTTP API in-process (FastAPI TestClient): labels, scheduling, bad input, artifacts, jobs.

Annotator routes are called without a token; the rest with the researcher (R) or worker (W) token
(who may call what is tested route by route in test_roles.py)."""
from __future__ import annotations

import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from labeler.config import AppConfig
from labeler.db.store import Store
from labeler.http.app import create_app
from tests.support.app_process import REPO_ROOT
from tests.support.http_requests import job_lease, label_body, next_pair, tokens
from tests.support.synthetic import seed_data_dir, synthetic_trajectory


def test_status_tasks_and_pair_view(env):
    client, seeded, _ = env
    st = client.get("/api/status").json()
    assert st["ready"] and st["schema_version"] >= 1 and st["labels_per_pair"] == 2
    tasks = client.get("/api/tasks").json()  # as an annotator: a blind task names no achievement
    assert tasks[0]["n_items"] == len(seeded["pair_ids"]) == 8 and "achievement" not in tasks[0]
    assert "n_pairs" not in tasks[0] and not tasks[0]["hints"]
    res = next_pair(client, seeded["task_id"], "ann")
    pair = res["pair"]
    assert res["progress"] == {"done": 0, "labelled": 0, "skipped": 0, "total": 8, "pairs": 8, "complete": 0, "k": 2}
    assert pair.get("target") is None and pair["left"]["id"] != pair["right"]["id"]
    assert pair["left"]["video_url"].startswith(f"/api/videos/{pair['left']['id']}.mp4?v=")
    video = client.get(pair["left"]["video_url"])
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4" and video.content[4:8] == b"ftyp"
    part = client.get(pair["left"]["video_url"], headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.content) == 100
    assert client.get("/static/annotator/main.js").status_code == 200  # served without the Gradio UI too


def test_label_roundtrip_idempotent_and_conflicts(env):
    client, seeded, cfg = env
    R, _ = tokens(cfg)
    pair = next_pair(client, seeded["task_id"], "ann")["pair"]
    body = label_body(pair, "ann", "right")
    first = client.post("/api/labels", json=body)
    assert first.status_code == 201 and first.json()["created"]
    assert first.json()["label"]["preferred"] == pair["right"]["id"]
    again = client.post("/api/labels", json=body)  # a retry after a lost response
    assert again.status_code == 200 and not again.json()["created"]
    assert again.json()["label"]["id"] == first.json()["label"]["id"]
    second = client.post("/api/labels", json=label_body(pair, "ann", "left"))
    assert second.status_code == 409 and "already labelled" in second.json()["detail"]
    reused = client.post("/api/labels", json={**body, "choice": "tie"})
    assert reused.status_code == 409 and "different label" in reused.json()["detail"]
    assert len(client.get("/api/labels", params={"annotator": "ann"}, headers=R).json()) == 1


@pytest.mark.parametrize("patch,status", [
    ({"pair_id": 99999}, 404),
    ({"choice": "maybe"}, 422),
    ({"submission_id": "x"}, 422),
    ({"annotator": ""}, 422),
    ({"left_traj": "syn-r1-0", "right_traj": "syn-r1-0"}, 422),
    ({"time_spent_ms": -5}, 422),
])
def test_bad_labels_are_refused_and_not_written(env, patch, status):
    client, seeded, cfg = env
    pair = next_pair(client, seeded["task_id"], "ann")["pair"]
    r = client.post("/api/labels", json={**label_body(pair, "ann"), **patch})
    assert r.status_code == status, r.text
    assert "detail" in r.json()
    assert client.get("/api/labels", headers=tokens(cfg)[0]).json() == []


@pytest.mark.parametrize("url", [
    "/api/artifacts/..%2F..%2Fetc%2Fpasswd",
    "/api/artifacts/%2Fetc%2Fpasswd",
    "/api/artifacts/trajectories%2Fsyn-r1-0.npz",
    "/api/artifacts/.hidden.npz",
    "/api/artifacts/syn-r1-0.npz%00.mp4",
    "/api/artifacts/syn-r1-0.exe",
    "/api/videos/..%2Fsyn-r1-0.mp4",
    "/api/videos/syn-r1-0.npz",
    "/api/trajectories/..%2Fx",
])
def test_path_tricks_are_refused(env, url):
    client, _, cfg = env
    for headers in tokens(cfg):
        r = client.get(url, headers=headers)
        assert r.status_code == 422, (url, r.status_code, r.text)
        assert "invalid" in r.json()["detail"]
    if not url.startswith("/api/videos/"):  # the annotator's videos are open; the rest needs a token first
        assert client.get(url).status_code == 403


def test_unknown_ids_are_404(env):
    client, seeded, cfg = env
    R, W = tokens(cfg)
    assert client.get("/api/videos/nope.mp4").status_code == 404
    assert client.get("/api/artifacts/nope.npz", headers=W).status_code == 404
    assert client.get("/api/pairs/12345", headers=R).status_code == 404
    assert client.get("/api/pairs/next", params={"task_id": 77, "annotator": "a"}).status_code == 404
    assert client.get("/api/pairs/next", params={"task_id": seeded["task_id"], "annotator": "a",
                                                 "exclude": "1,x"}).status_code == 422


def test_scheduling_k_annotators_never_twice(env):
    """k=2: three people label everything they are offered; each pair ends with exactly 2 labels."""
    client, seeded, cfg = env
    seen: dict[str, list[int]] = {}
    for _ in range(12):
        for who in ("ann", "bob", "cyd"):
            pair = next_pair(client, seeded["task_id"], who)["pair"]
            if pair is None:
                continue
            seen.setdefault(who, []).append(pair["id"])
            assert client.post("/api/labels", json=label_body(pair, who, "tie")).status_code == 201
    for who, ids in seen.items():
        assert len(ids) == len(set(ids)), f"{who} saw a pair twice"
    pairs = client.get("/api/pairs", params={"task_id": seeded["task_id"]}, headers=tokens(cfg)[0]).json()
    assert [p["n_labels"] for p in pairs] == [2] * 8
    assert sum(len(v) for v in seen.values()) == 16


def test_leases_spread_concurrent_annotators_and_exclude(env):
    client, seeded, _ = env
    a = next_pair(client, seeded["task_id"], "ann")["pair"]["id"]
    b = next_pair(client, seeded["task_id"], "bob")["pair"]["id"]
    assert a != b  # ann's pair is on her screen: bob gets another one first
    a2 = next_pair(client, seeded["task_id"], "ann", exclude=[a])["pair"]["id"]
    assert a2 not in (a,)


def test_worker_flow_upload_register_pair_and_jobs(env):
    client, seeded, cfg = env
    R, w = tokens(cfg)
    tid = seeded["task_id"]
    traj = synthetic_trajectory(seed=42, length=6)
    job, lease = job_lease(client, cfg, tid)
    assert client.put(f"/api/jobs/{job}/artifacts/new-1.npz", content=traj.to_bytes(), headers=lease).status_code == 200
    assert client.put(f"/api/jobs/{job}/artifacts/..%2Fnew.npz", content=b"x", headers=lease).status_code in (404, 422)
    register = f"/api/jobs/{job}/trajectories"
    r = client.post(register, json={"id": "new-1", "task_id": tid, "round_id": seeded["round_id"]}, headers=lease)
    assert r.status_code == 201 and r.json()["length"] == 6
    assert client.post(register, json={"id": "new-1", "task_id": tid}, headers=lease).status_code == 409
    assert client.post(register, json={"id": "missing", "task_id": tid}, headers=lease).status_code == 404
    r = client.post("/api/pairs", json={"task_id": tid, "pairs": [["new-1", "syn-r1-0"]], "source": "worker"},
                    headers=R)
    assert r.status_code == 201 and len(r.json()) == 1
    lat = client.post("/api/latents", json={"task_id": tid, "vector": [0.5] * 512, "source": "tuned"}, headers=R)
    assert lat.status_code == 201
    assert client.post("/api/latents", json={"task_id": tid, "vector": [0.5] * 3}, headers=R).status_code == 422
    assert client.get(f"/api/latents/{lat.json()['id']}", headers=w).json()["vector"][:2] == [0.5, 0.5]
    rounds = client.get(f"/api/tasks/{tid}/rounds", headers=w).json()
    assert [(r["number"], r["status"]) for r in rounds] == [(1, "labelling")]
    assert client.post("/api/rounds", json={"task_id": tid}, headers=R).status_code in (404, 405)  # the researcher
    # API starts rounds (its state machine); there is no route that makes a round outside it

    job = client.post("/api/jobs", json={"kind": "tune", "task_id": tid, "payload": {"epochs": 3}}, headers=R).json()
    # the worker protocol needs the worker token; without it: 403
    assert client.post("/api/jobs/claim", json={"worker": "gpu-1"}).status_code == 403
    got = client.post("/api/jobs/claim", json={"worker": "gpu-1", "kinds": ["tune"]}, headers=w).json()
    claimed, lease = got["job"], got["lease"]
    assert claimed["id"] == job["id"]
    assert client.post("/api/jobs/claim", json={"worker": "gpu-2"}, headers=w).json()["job"] is None
    hb = client.post(f"/api/jobs/{job['id']}/heartbeat",
                     json={"worker": "gpu-1", "lease": lease, "progress": 0.3, "message": "epoch 1"}, headers=w)
    assert hb.json()["progress"] == 0.3
    assert client.post(f"/api/jobs/{job['id']}/heartbeat", json={"worker": "gpu-2", "lease": "x"},
                       headers=w).status_code == 409
    done = client.post(f"/api/jobs/{job['id']}/complete",
                       json={"worker": "gpu-1", "lease": lease, "result": {"latent_id": 2}},
                       headers=w)
    assert done.json()["status"] == "done"
    assert client.get(f"/api/jobs/{job['id']}", headers=R).json()["result"] == {"latent_id": 2}
    assert client.get("/api/jobs/999", headers=R).status_code == 404


def test_shutdown_checkpoints_and_keeps_labels(tmp_path):
    seeded = seed_data_dir(tmp_path, n_traj=4, per_traj=2, length=4)
    cfg = AppConfig(data_dir=tmp_path, bootstrap=False, ui=False)
    with TestClient(create_app(cfg)) as client:
        pair = next_pair(client, seeded["task_id"], "ann")["pair"]
        assert client.post("/api/labels", json=label_body(pair, "ann", "both_bad")).status_code == 201
    assert not cfg.db_path.with_name(cfg.db_path.name + ".wal").exists()
    with Store(cfg.db_path) as store:
        assert [r["choice"] for r in store.labels.list()] == ["both_bad"]


def test_an_app_without_the_ui_never_imports_gradio(tmp_path):
    """--no-ui starts (tests, benchmarks, headless servers) skip Gradio's import: seconds per start."""
    code = ("import sys; from labeler.config import AppConfig; from labeler.http.app import create_app; "
            f"app = create_app(AppConfig(data_dir={str(tmp_path)!r}, bootstrap=False, ui=False)); "
            "app.state.pgt.store.close(); "
            "assert 'gradio' not in sys.modules, sorted(m for m in sys.modules if m.startswith('gradio'))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]

"""Export with provenance (JSONL, Parquet via DuckDB, chosen/rejected), latents out and back in, CLI, router."""
from __future__ import annotations

import json
import uuid

import duckdb
import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from labeler.config import AppConfig
from labeler.db.store import Store
from labeler.export.__main__ import main
from labeler.export.bundle import export_all
from labeler.export.latents import import_latent, latent_document, read_latent_documents
from labeler.export.rows import LABEL_COLUMNS, answer_rows, chosen_rejected, label_rows, pair_rows
from labeler.export.sources import HttpSource, StoreSource, open_source
from tests.support.synthetic import seed_data_dir


def _label(store: Store, pair: dict, who: str, choice: str, swap: bool = False, ms: int = 1500) -> dict:
    left, right = (pair["traj_b"], pair["traj_a"]) if swap else (pair["traj_a"], pair["traj_b"])
    row, _ = store.labels.add(submission_id=str(uuid.uuid4()), pair_id=pair["id"], annotator=who, choice=choice,
                             left_traj=left, right_traj=right, time_spent_ms=ms)
    return row


@pytest.fixture
def data(tmp_path):
    seeded = seed_data_dir(tmp_path / "data", n_traj=6, per_traj=2, length=6)
    cfg = AppConfig(data_dir=tmp_path / "data", bootstrap=False, ui=False)
    with Store(cfg.db_path) as store:
        latent = store.latents.add(seeded["task_id"], np.linspace(-1, 1, 512), "prompt", meta={"note": "z0"})
        tuned = store.latents.add(seeded["task_id"], np.linspace(1, -1, 512), "tuned", parent_id=latent["id"])
        pairs = store.pairs.list(seeded["task_id"])
        _label(store, pairs[0], "ann", "left")
        _label(store, pairs[0], "bob", "left", swap=True)  # bob saw b on the left and chose it
        _label(store, pairs[1], "ann", "tie")
        _label(store, pairs[1], "bob", "skip")
        taken_back = _label(store, pairs[2], "cat", "right")
        store.labels.undo(taken_back["submission_id"], "undone by cat")  # audited: exported, marked
        eps = seeded["trajectories"]
        grades = store.questions.add(seeded["task_id"], "per_episode", [[eps[0]], [eps[1]]], seeded["round_id"])
        for q, grade in zip(grades, ("good", "bad"), strict=True):
            store.answers.add(submission_id=str(uuid.uuid4()), question_id=q["id"], annotator="ann",
                              answer={"grade": grade}, shown=q["episodes"], time_spent_ms=2500, playback_rate=2.0)
        group = store.questions.add(seeded["task_id"], "best_of_k", [eps[2:6]], seeded["round_id"])[0]
        store.answers.add(submission_id=str(uuid.uuid4()), question_id=group["id"], annotator="bob",
                          answer={"best": eps[5], "worst": eps[2]}, shown=[eps[5], eps[3], eps[2], eps[4]],
                          time_spent_ms=8000)
    return {"cfg": cfg, "seeded": seeded, "latent_id": latent["id"], "tuned_id": tuned["id"], "pairs": pairs}


def test_label_rows_carry_full_provenance(data):
    cfg = data["cfg"]
    with Store(cfg.db_path) as store:
        rows = label_rows(StoreSource(store, cfg.artifact_dir))
        pairs = pair_rows(StoreSource(store, cfg.artifact_dir), task="collect_wood")
    assert len(rows) == 5 and len(pairs) == len(data["pairs"])
    assert rows[4]["undone_at"] and rows[4]["undo_reason"] == "undone by cat"
    first, second = rows[0], rows[1]
    assert set(LABEL_COLUMNS) <= set(first)
    assert first["task"] == "collect_wood" and first["round_number"] == 1 and first["annotator"] == "ann"
    assert first["preferred"] == first["a_traj"] == first["shown_left"] and first["rejected"] == first["b_traj"]
    assert second["shown_left"] == second["b_traj"] and second["preferred"] == second["b_traj"]
    assert isinstance(first["a_seed"], int) and first["a_artifact"].endswith(f"trajectories/{first['a_traj']}.npz")
    assert first["time_spent_ms"] == 1500 and first["labelled_at"]
    assert rows[2]["choice"] == "tie" and rows[2]["preferred"] is None and rows[2]["rejected"] is None
    pref = chosen_rejected(rows)
    assert len(pref) == 2  # tie and skip carry no chosen/rejected, an undone label is not a preference
    assert pref[1]["chosen"]["trajectory_id"] == second["b_traj"]
    assert pref[1]["rejected"]["trajectory_id"] == second["a_traj"]
    assert pref[0]["prompt"]["achievement"] == "collect_wood" and pref[0]["chosen"]["seed"] == first["a_seed"]


def test_export_all_writes_jsonl_parquet_and_a_manifest(data, tmp_path):
    cfg = data["cfg"]
    with Store(cfg.db_path) as store:
        manifest = export_all(StoreSource(store, cfg.artifact_dir), tmp_path / "out")
    out = tmp_path / "out"
    # good x bad grades: one pair; bob's best and worst of four: five; pair 1 a tie (kept, no gradient); pair 0
    # is split (ann and bob disagree) and waits for adjudication
    assert manifest["counts"] == {"labels": 5, "pairs": len(data["pairs"]), "chosen_rejected": 2, "latents": 2,
                                  "answers": 3, "tuning_pairs": 1 + 5 + 1}
    lines = [json.loads(x) for x in (out / "labels.jsonl").read_text().splitlines()]
    assert [x["choice"] for x in lines] == ["left", "left", "tie", "skip", "right"]
    answers = [json.loads(x) for x in (out / "answers.jsonl").read_text().splitlines()]
    assert [a["mode"] for a in answers] == ["per_episode", "per_episode", "best_of_k"]
    assert answers[0]["playback_rate"] == 2.0 and answers[0]["time_spent_ms"] == 2500
    assert answers[2]["shown"][0] == answers[2]["answer"]["best"] and len(answers[2]["episodes"]) == 4
    assert {"seed", "latent_id", "reward", "artifact"} <= set(answers[2]["episodes"][0])
    tuning = [json.loads(x) for x in (out / "tuning_pairs.jsonl").read_text().splitlines()]
    assert sum(t["weight"] for t in tuning if t["group"] and "ranking" in t["group"]) == pytest.approx(2.0)
    con = duckdb.connect()
    types = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM '{out / 'labels.parquet'}'").fetchall()}
    assert types["a_seed"] == "BIGINT" and types["labelled_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["preferred"] == "VARCHAR"
    n, skips = con.execute("SELECT count(*), count(*) FILTER (WHERE choice = 'skip') "
                           f"FROM '{out / 'labels.parquet'}'").fetchone()
    assert (n, skips) == (5, 1)
    modes = con.execute(f"SELECT list(mode ORDER BY answer_id) FROM '{out / 'answers.parquet'}'").fetchone()[0]
    assert modes == ["per_episode", "per_episode", "best_of_k"]
    events = con.execute(f"SELECT a_events FROM '{out / 'pairs.parquet'}' LIMIT 1").fetchone()[0]
    assert isinstance(json.loads(events), list)
    assert json.loads((out / "manifest.json").read_text())["counts"]["labels"] == 5


def test_latents_round_trip_into_another_store(data, tmp_path):
    cfg = data["cfg"]
    with Store(cfg.db_path) as store:
        doc = latent_document(StoreSource(store), data["tuned_id"])
        original = np.asarray(store.latents.get(data["tuned_id"])["vector"], np.float32)
    assert doc["format"] == "pgt-latent/1" and doc["latent"]["parent_id"] == data["latent_id"]
    path = tmp_path / "z.json"
    path.write_text(json.dumps(doc))
    with Store(tmp_path / "other.duckdb") as other:  # an empty store: the task is created from the document
        sink = StoreSource(other)
        row = import_latent(sink, read_latent_documents(path)[0])
        assert row["source"] == "import" and row["meta"]["imported"]["from_id"] == data["tuned_id"]
        assert np.array_equal(np.asarray(other.latents.get(row["id"])["vector"], np.float32), original)
        assert other.tasks.by_name("collect_wood")["max_steps"] == doc["task"]["max_steps"]
        np.save(tmp_path / "bare.npy", original)
        with pytest.raises(ValueError, match="names no task"):
            import_latent(sink, read_latent_documents(tmp_path / "bare.npy")[0])
        assert import_latent(sink, read_latent_documents(tmp_path / "bare.npy")[0], task="collect_wood")["id"]
    bad = dict(doc, vector=doc["vector"][:10])
    with pytest.raises(ValueError, match="512"):
        import_latent(StoreSource(None), bad)


def test_cli_exports_from_the_file_when_the_app_is_not_running(data, tmp_path, capsys):
    args = ["--data-dir", str(data["cfg"].data_dir), "--out", str(tmp_path / "cli"), "--task", "collect_wood"]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["labels"] == 5
    assert (tmp_path / "cli" / "labels.parquet").exists() and (tmp_path / "cli" / "chosen_rejected.jsonl").exists()


def test_http_source_and_export_router_match_the_file_export(data, tmp_path):
    from labeler.files.tokens import Tokens
    from labeler.http.app import create_app

    cfg = data["cfg"]
    with Store(cfg.db_path) as store:
        expected = label_rows(StoreSource(store, cfg.artifact_dir))
        expected_answers = answer_rows(StoreSource(store, cfg.artifact_dir))
    app: FastAPI = create_app(cfg)  # mounts the export router, for researchers only
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {Tokens.load_or_create(cfg.data_dir).researcher}"
        http_rows = label_rows(HttpSource("http://testserver", client=client))
        assert [r["label_id"] for r in http_rows] == [r["label_id"] for r in expected]
        assert http_rows[0]["a_artifact"] == f"http://testserver/api/artifacts/{expected[0]['a_traj']}.npz"
        r = client.get("/api/export/labels.jsonl", params={"task": "collect_wood"})
        assert r.status_code == 200 and len(r.text.splitlines()) == 5
        assert len(client.get("/api/export/answers.jsonl").text.splitlines()) == 3
        http_answers = answer_rows(HttpSource("http://testserver", client=client))
        assert [a["answer_id"] for a in http_answers] == [a["answer_id"] for a in expected_answers]
        assert len(client.get("/api/export/tuning_pairs.jsonl").text.splitlines()) == 7
        r = client.get("/api/export/labels.parquet")
        assert r.status_code == 200 and r.content[:4] == b"PAR1"
        assert len(client.get("/api/export/chosen_rejected.jsonl").text.splitlines()) == 2
        assert client.get("/api/export/pairs.jsonl", params={"task": "nope"}).status_code == 404
        doc = client.get(f"/api/export/latents/{data['latent_id']}.json").json()
        made = client.post("/api/export/latents/import", json=doc)
        assert made.status_code == 201 and made.json()["meta"]["imported"]["from_id"] == data["latent_id"]
        assert client.post("/api/export/latents/import", json={"format": "x"}).status_code == 422


def test_cli_falls_back_to_the_app_when_another_process_holds_the_file(data):
    import subprocess
    import sys

    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('held', flush=True); time.sleep(60)", str(data["cfg"].db_path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        source = open_source(data["cfg"].data_dir, fallback_url="http://127.0.0.1:9")
        assert isinstance(source, HttpSource) and source.base_url == "http://127.0.0.1:9"
        source.close()
    finally:
        holder.kill()
        holder.wait()

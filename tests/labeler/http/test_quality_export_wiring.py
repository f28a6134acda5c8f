"""The quality dashboard and the exports are mounted in the app, for researchers only."""
from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from labeler.config import AppConfig
from labeler.files.tokens import Tokens
from labeler.http.app import create_app
from tests.support.synthetic import seed_data_dir

ROUTES = ["/quality", "/api/quality/summary?task_id=1", "/api/quality/adjudication?task_id=1",
          "/api/export/labels.jsonl", "/api/export/chosen_rejected.jsonl", "/api/export/latents.jsonl"]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    data = tmp_path_factory.mktemp("wiring")
    seed_data_dir(data, n_traj=4, per_traj=2, length=4)
    with TestClient(create_app(AppConfig(data_dir=data, bootstrap=False, ui=False))) as client:
        yield client, Tokens.load_or_create(data)


@pytest.mark.parametrize("path", ROUTES)
def test_closed_to_annotators_and_workers(env, path):
    client, tokens = env
    assert client.get(path).status_code == 403
    assert client.get(path, headers={"Authorization": f"Bearer {tokens.worker}"}).status_code == 403


@pytest.mark.parametrize("path", ROUTES)
def test_open_to_researchers(env, path):
    client, tokens = env
    r = client.get(path, headers={"Authorization": f"Bearer {tokens.researcher}"})
    assert r.status_code == 200, r.text
    if path.endswith(".jsonl"):
        for line in r.text.splitlines():
            json.loads(line)


def test_researcher_page_links_to_quality_and_exports():
    html = open("labeler/static/researcher/index.html").read()
    assert 'href="/quality"' in html and "/api/export/labels.jsonl" in html

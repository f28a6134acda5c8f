"""Property-based fuzzing of the HTTP API from its own OpenAPI schema (schemathesis + hypothesis), bounded.

Every operation is called with generated requests, once as each role (annotator: no token; researcher;
worker). Whatever arrives, the app must answer without a 5xx, and every label it acknowledged before
and during the run must still be in the database afterwards, unchanged. The run is bounded in time,
and a run that the bound cut short fails: an operation never called is an operation never checked.
"""
from __future__ import annotations

import time
import uuid

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings

from labeler.config import AppConfig
from labeler.db.store import Store
from labeler.http.app import create_app
from tests.support.http_requests import label_body, next_pair, tokens
from tests.support.synthetic import seed_data_dir

schemathesis = pytest.importorskip("schemathesis", reason="pip install '.[test]' (schemathesis)")

EXAMPLES_PER_OPERATION = 3  # about 30 s for all of them on two busy cores
BUDGET_S = 55.0  # the whole run stops here, whatever is left (and then fails)
ROLES = ("annotator", "researcher", "worker")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # schemathesis passes cookies per request
def test_no_5xx_and_no_acknowledged_label_lost(tmp_path):
    seeded = seed_data_dir(tmp_path, n_traj=6, per_traj=2, length=4)
    cfg = AppConfig(data_dir=tmp_path, bootstrap=False, ui=False)
    researcher, worker = tokens(cfg)
    acknowledged: dict[str, tuple] = {}
    failures: list[str] = []
    deadline = time.monotonic() + BUDGET_S
    with TestClient(create_app(cfg), raise_server_exceptions=False) as client:
        pair = next_pair(client, seeded["task_id"], "fuzz-ann")["pair"]
        body = label_body(pair, "fuzz-ann", sub=str(uuid.uuid4()))
        assert client.post("/api/labels", json=body).status_code == 201
        acknowledged[body["submission_id"]] = (body["pair_id"], "fuzz-ann", body["choice"])
        spec = client.get("/openapi.json", headers=researcher).json()
        schema = schemathesis.openapi.from_dict(spec)
        operations = [op.ok() for op in schema.get_all_operations()]
        assert len(operations) > 40
        def fuzz(op, who: str, headers: dict[str, str]) -> None:
            @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
                      phases=[Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=op.as_strategy())
            def call(case) -> None:
                kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
                kwargs.pop("timeout", None)
                kwargs.pop("allow_redirects", None)
                response = client.request(**kwargs)
                if response.status_code >= 500:
                    failures.append(f"{who} {case.method} {case.formatted_path}: {response.status_code} "
                                    f"{response.text[:200]}")
                if case.method == "POST" and case.path == "/api/labels" and response.status_code == 201:
                    label = response.json()["label"]
                    acknowledged[label["submission_id"]] = (label["pair_id"], label["annotator"], label["choice"])

            call()

        done = 0
        for op in operations:
            for who, headers in zip(ROLES, ({}, researcher, worker), strict=True):
                if time.monotonic() < deadline:
                    fuzz(op, who, headers)
                    done += 1
    assert failures == [], failures[:10]
    assert done == len(operations) * len(ROLES), (
        f"the {BUDGET_S:.0f} s budget ran out after {done} of {len(operations) * len(ROLES)} operation runs: "
        "lower EXAMPLES_PER_OPERATION")
    with Store(cfg.db_path) as store:
        stored = {r["submission_id"]: (r["pair_id"], r["annotator"], r["choice"]) for r in store.labels.list()}
    assert {k: stored.get(k) for k in acknowledged} == acknowledged

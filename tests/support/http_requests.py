"""Shared by the HTTP tests: tokens as headers, a researcher's login, a worker's job lease, the annotator's next pair,
a label body."""
from __future__ import annotations

import uuid

from labeler.config import AppConfig
from labeler.files.tokens import Tokens


def tokens(cfg: AppConfig) -> tuple[dict[str, str], dict[str, str]]:
    """(researcher, worker) Authorization headers."""
    t = Tokens.load_or_create(cfg.data_dir)
    return {"Authorization": f"Bearer {t.researcher}"}, {"Authorization": f"Bearer {t.worker}"}


def log_in(client, cfg: AppConfig, origin: str = "http://testserver") -> dict[str, str]:
    """Log the client in as a researcher through a one-time link, as the login page does; returns the headers
    the app's own pages send: their origin and the session's proof."""
    code = client.post("/api/session/links", headers=tokens(cfg)[0]).json()["url"].split("#code=")[1]
    opened = client.post("/api/session", json={"code": code}, headers={"origin": origin})
    assert opened.status_code == 200, opened.text
    return {"origin": origin, "x-pgt-proof": opened.json()["proof"]}


def job_lease(client, cfg: AppConfig, task_id: int) -> tuple[int, dict[str, str]]:
    """A running job claimed by a worker: (its id, the worker token and lease headers every worker write needs)."""
    r, w = tokens(cfg)
    enqueued = client.post("/api/jobs", json={"kind": "rollout", "task_id": task_id, "payload": {}}, headers=r)
    assert enqueued.status_code == 201, enqueued.text
    claimed = client.post("/api/jobs/claim", json={"worker": "test-worker", "kinds": ["rollout"]}, headers=w).json()
    assert claimed["job"]["id"] == enqueued.json()["id"]
    return claimed["job"]["id"], {**w, "x-pgt-lease": claimed["lease"]}


def next_pair(client, task_id, who, exclude=()):
    r = client.get("/api/pairs/next", params={"task_id": task_id, "annotator": who,
                                              "exclude": ",".join(map(str, exclude))})
    assert r.status_code == 200, r.text
    return r.json()


def label_body(pair, who, choice="left", sub=None):
    return {"submission_id": sub or str(uuid.uuid4()), "pair_id": pair["id"], "annotator": who, "choice": choice,
            "left_traj": pair["left"]["id"], "right_traj": pair["right"]["id"], "time_spent_ms": 900}

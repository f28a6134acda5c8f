"""Shared by the HTTP tests: tokens as headers, the annotator's next pair, a label body."""
from __future__ import annotations

import uuid

from labeler.config import AppConfig
from labeler.files.tokens import Tokens


def tokens(cfg: AppConfig) -> tuple[dict[str, str], dict[str, str]]:
    """(researcher, worker) Authorization headers."""
    t = Tokens.load_or_create(cfg.data_dir)
    return {"Authorization": f"Bearer {t.researcher}"}, {"Authorization": f"Bearer {t.worker}"}


def next_pair(client, task_id, who, exclude=()):
    r = client.get("/api/pairs/next", params={"task_id": task_id, "annotator": who,
                                              "exclude": ",".join(map(str, exclude))})
    assert r.status_code == 200, r.text
    return r.json()


def label_body(pair, who, choice="left", sub=None):
    return {"submission_id": sub or str(uuid.uuid4()), "pair_id": pair["id"], "annotator": who, "choice": choice,
            "left_traj": pair["left"]["id"], "right_traj": pair["right"]["id"], "time_spent_ms": 900}

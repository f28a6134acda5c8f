"""The app's two secrets on disk: the researcher token and the worker token.

Why tokens and not accounts: annotators only ever type their name, and the people who run a
study are one or two researchers plus the machines that tune. So the app makes two random
tokens on first start (`<data dir>/tokens.json`, readable by its owner only; environment
variables PGT_RESEARCHER_TOKEN / PGT_WORKER_TOKEN override them):
- the researcher token opens the researcher view (`/researcher?token=...` sets a cookie) and
  the /api/researcher routes;
- the worker token lets a worker claim and report jobs (`Authorization: Bearer ...`).
Anyone else is an annotator and gets 403 from both. Tokens are compared in constant time.

Who may call what with which token is labeler.http.auth.
"""
from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from pgt_core.atomic import write_atomic

RESEARCHER, WORKER, ANNOTATOR = "researcher", "worker", "annotator"
TOKENS_FILE = "tokens.json"


@dataclass(frozen=True)
class Tokens:
    researcher: str
    worker: str

    @classmethod
    def load_or_create(cls, data_dir: str | Path) -> "Tokens":
        """Read `<data_dir>/tokens.json`, creating it (mode 0600) on first use; env vars win."""
        path = Path(data_dir) / TOKENS_FILE
        stored: dict[str, str] = {}
        if path.is_file():
            stored = json.loads(path.read_text())
        else:
            stored = {RESEARCHER: secrets.token_urlsafe(24), WORKER: secrets.token_urlsafe(24)}
            try:
                write_atomic(path, json.dumps(stored), mode=0o600, exclusive=True)
            except FileExistsError:  # another process made them a moment ago: everyone uses those
                stored = json.loads(path.read_text())
        return cls(researcher=os.environ.get("PGT_RESEARCHER_TOKEN") or stored[RESEARCHER],
                   worker=os.environ.get("PGT_WORKER_TOKEN") or stored[WORKER])

    def role_of(self, token: str | None) -> str:
        if token and secrets.compare_digest(token.encode(), self.researcher.encode()):
            return RESEARCHER
        if token and secrets.compare_digest(token.encode(), self.worker.encode()):
            return WORKER
        return ANNOTATOR

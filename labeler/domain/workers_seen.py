"""Workers seen lately, in memory: what the researcher view lists under 'Workers'."""
from __future__ import annotations

import time
from typing import Any

SEEN_FOR_S = 120.0  # a worker is listed while it claimed or reported within this window


class WorkersSeen:
    def __init__(self) -> None:
        self._seen: dict[str, dict[str, Any]] = {}

    def saw(self, name: str, job_id: int | None = None, info: dict[str, Any] | None = None) -> None:
        entry = self._seen.setdefault(name, {"name": name, "info": {}})
        entry["last_seen"] = time.time()
        entry["job_id"] = job_id
        if info:
            entry["info"] = info

    def recent(self) -> list[dict[str, Any]]:
        now = time.time()
        self._seen = {k: v for k, v in self._seen.items() if now - v["last_seen"] < SEEN_FOR_S}
        return [{**v, "seen_s_ago": round(now - v["last_seen"], 1)} for v in self._seen.values()]

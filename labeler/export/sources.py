"""What an export reads: the store in-process (`StoreSource`) or a running app over HTTP (`HttpSource`)."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Iterable, Iterator, Protocol

import duckdb

from labeler.api_client import ApiClient
from labeler.db.store import Store
from labeler.domain.preferences import tuning_pair_records
from labeler.files.artifacts import KINDS

PAGE = 10_000


class ExportSource(Protocol):
    """The reads (and, for latent import, writes) that export uses."""

    def list_tasks(self) -> list[dict[str, Any]]: ...
    def list_rounds(self, task_id: int) -> list[dict[str, Any]]: ...
    def list_latents(self, task_id: int) -> list[dict[str, Any]]: ...
    def get_latent(self, latent_id: int) -> dict[str, Any]: ...
    def list_trajectories(self, task_id: int) -> list[dict[str, Any]]: ...
    def list_pairs(self, task_id: int) -> list[dict[str, Any]]: ...
    def list_labels(self, task_id: int | None = None, after_id: int = 0, limit: int = PAGE) -> list[dict[str, Any]]: ...
    def list_answers(self, task_id: int) -> list[dict[str, Any]]: ...
    def list_tuning_pairs(self, task_id: int) -> list[dict[str, Any]]: ...
    def create_task(self, name: str, achievement: str, max_steps: int, description: str = "",
                    env: str = "crafter") -> dict[str, Any]: ...
    def add_latent(self, task_id: int, vector: Iterable[float], source: str, parent_id: int | None = None,
                   meta: dict[str, Any] | None = None) -> dict[str, Any]: ...
    def artifact_location(self, name: str) -> str: ...


class StoreSource:
    """A `Store` (in-process) plus where its artifacts lie, as an `ExportSource`."""

    def __init__(self, store: Store, artifact_dir: str | Path | None = None) -> None:
        self.store = store
        self.artifact_dir = Path(artifact_dir) if artifact_dir is not None else None

    def list_tasks(self) -> list[dict[str, Any]]:
        return self.store.tasks.list()

    def list_rounds(self, task_id: int) -> list[dict[str, Any]]:
        return self.store.rounds.list(task_id)

    def list_latents(self, task_id: int) -> list[dict[str, Any]]:
        return self.store.latents.list(task_id)

    def get_latent(self, latent_id: int) -> dict[str, Any]:
        return self.store.latents.get(latent_id)

    def list_trajectories(self, task_id: int) -> list[dict[str, Any]]:
        return self.store.trajectories.list(task_id)

    def list_pairs(self, task_id: int) -> list[dict[str, Any]]:
        return self.store.pairs.list(task_id)

    def list_labels(self, task_id: int | None = None, after_id: int = 0, limit: int = PAGE) -> list[dict[str, Any]]:
        return self.store.labels.list(task_id=task_id, after_id=after_id, limit=limit, include_undone=True)

    def list_answers(self, task_id: int) -> list[dict[str, Any]]:
        return self.store.answers.list(task_id, include_undone=True)

    def list_tuning_pairs(self, task_id: int) -> list[dict[str, Any]]:
        return tuning_pair_records(self.store, task_id)

    def create_task(self, name: str, achievement: str, max_steps: int, description: str = "",
                    env: str = "crafter") -> dict[str, Any]:
        return self.store.tasks.create(name, achievement, max_steps, description, env)

    def add_latent(self, task_id: int, vector: Iterable[float], source: str, parent_id: int | None = None,
                   meta: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.store.latents.add(task_id, list(vector), source, parent_id, meta)

    def artifact_location(self, name: str) -> str:
        if self.artifact_dir is None:
            return name
        return str(self.artifact_dir / KINDS[name.rsplit(".", 1)[-1]] / name)


class HttpSource:
    """A running app's /api as an `ExportSource` (for when the app holds the DuckDB file)."""

    def __init__(self, base_url: str, timeout: float = 60.0, client: Any = None, token: str | None = None) -> None:
        """client: an httpx.Client to use instead of a new one (e.g. FastAPI's TestClient in tests).
        token: the researcher token (these routes are the researcher's)."""
        self.base_url = base_url.rstrip("/")
        self.api = ApiClient(self.base_url, token=token, timeout=timeout, client=client)

    def list_tasks(self) -> list[dict[str, Any]]:
        return self.api.get("/api/tasks")

    def list_rounds(self, task_id: int) -> list[dict[str, Any]]:
        return self.api.get(f"/api/tasks/{task_id}/rounds")

    def list_latents(self, task_id: int) -> list[dict[str, Any]]:
        return self.api.get(f"/api/tasks/{task_id}/latents")

    def get_latent(self, latent_id: int) -> dict[str, Any]:
        return self.api.get(f"/api/latents/{latent_id}")

    def list_trajectories(self, task_id: int) -> list[dict[str, Any]]:
        return self.api.get("/api/trajectories", task_id=task_id)

    def list_pairs(self, task_id: int) -> list[dict[str, Any]]:
        return self.api.get("/api/pairs", task_id=task_id)

    def list_labels(self, task_id: int | None = None, after_id: int = 0, limit: int = PAGE) -> list[dict[str, Any]]:
        return self.api.get("/api/labels", task_id=task_id, after_id=after_id, limit=limit, include_undone=True)

    def list_answers(self, task_id: int) -> list[dict[str, Any]]:
        return self.api.get("/api/answers", task_id=task_id, include_undone=True)

    def list_tuning_pairs(self, task_id: int) -> list[dict[str, Any]]:
        return self.api.get("/api/quality/tuning-pairs", task_id=task_id)

    def create_task(self, name: str, achievement: str, max_steps: int, description: str = "",
                    env: str = "crafter") -> dict[str, Any]:
        return self.api.post("/api/tasks", {"name": name, "achievement": achievement, "max_steps": max_steps,
                                            "description": description, "env": env})

    def add_latent(self, task_id: int, vector: Iterable[float], source: str, parent_id: int | None = None,
                   meta: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.api.post("/api/latents", {"task_id": task_id, "vector": [float(v) for v in vector],
                                              "source": source, "parent_id": parent_id, "meta": meta})

    def artifact_location(self, name: str) -> str:
        return f"{self.base_url}/api/artifacts/{name}"

    def close(self) -> None:
        self.api.close()


def iter_labels(source: ExportSource, task_id: int | None = None) -> Iterator[dict[str, Any]]:
    """Every label (skips included), in id order, page by page."""
    after = 0
    while True:
        page = source.list_labels(task_id=task_id, after_id=after, limit=PAGE)
        yield from page
        if len(page) < PAGE:
            return
        after = int(page[-1]["id"])


def select_tasks(source: ExportSource, task: str | int | None = None) -> list[dict[str, Any]]:
    """All tasks, or the one named (or numbered) `task`."""
    tasks = source.list_tasks()
    if task is None:
        return tasks
    chosen = [t for t in tasks if t["name"] == str(task) or str(t["id"]) == str(task)]
    if not chosen:
        raise KeyError(f"no task {task!r}; tasks: {', '.join(t['name'] for t in tasks) or '(none)'}")
    return chosen


def open_source(data_dir: str | Path, url: str | None = None, fallback_url: str = "http://127.0.0.1:7860",
                token: str | None = None) -> StoreSource | HttpSource:
    """The DuckDB file under `data_dir` when no process holds it, else the running app over HTTP."""
    token = token or os.environ.get("PGT_RESEARCHER_TOKEN")
    if url:
        return HttpSource(url, token=token)
    from labeler.config import AppConfig

    cfg = AppConfig(data_dir=Path(data_dir))
    if not Path(cfg.db_path).exists():
        raise FileNotFoundError(f"no database at {cfg.db_path}")
    try:
        return StoreSource(Store(cfg.db_path), cfg.artifact_dir)
    except duckdb.IOException as exc:  # the app holds the file's lock
        print(f"{cfg.db_path} is in use ({str(exc).splitlines()[0]}); exporting through the app at {fallback_url}",
              file=sys.stderr)
        return HttpSource(fallback_url, token=token)


def close_source(source: StoreSource | HttpSource) -> None:
    if isinstance(source, StoreSource):
        source.store.close()
    else:
        source.close()

"""Latent documents (format pgt-latent/1): a vector with its task, lineage and metadata, portable between stores."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from labeler.export.sources import ExportSource, select_tasks
from pgt_core import LATENT_DIM

LATENT_FORMAT = "pgt-latent/1"


def latent_document(source: ExportSource, latent_id: int) -> dict[str, Any]:
    """A self-contained latent: the vector plus its task, lineage and metadata (format pgt-latent/1)."""
    import torch

    from pgt_core.rollout import latent_fingerprint

    latent = source.get_latent(latent_id)
    task = next((t for t in source.list_tasks() if t["id"] == latent["task_id"]), None)
    vector = [float(v) for v in latent["vector"]]
    return {
        "format": LATENT_FORMAT,
        "dim": len(vector),
        "vector": vector,
        "z_id": latent_fingerprint(torch.tensor(vector, dtype=torch.float32)),
        "latent": {k: latent.get(k) for k in ("id", "source", "parent_id", "meta", "created_at")},
        "task": {k: task.get(k) for k in ("name", "env", "achievement", "max_steps", "description")} if task else None,
        "exported_at": datetime.now(timezone.utc).isoformat(),
    }


def latent_documents(source: ExportSource, task: str | int | None = None) -> list[dict[str, Any]]:
    return [latent_document(source, lat["id"])
            for t in select_tasks(source, task) for lat in source.list_latents(t["id"])]


def read_latent_documents(path: str | Path) -> list[dict[str, Any]]:
    """Documents from a .json (one), .jsonl (many) or .npy (a bare vector; no task attached)."""
    path = Path(path)
    if path.suffix == ".npy":
        vec = np.load(path, allow_pickle=False).astype(np.float32).reshape(-1)
        return [{"format": LATENT_FORMAT, "dim": int(vec.size), "vector": vec.tolist(), "task": None,
                 "latent": {"source": "npy", "meta": {"file": path.name}}}]
    text = path.read_text()
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return [json.loads(text)]


def check_latent_document(doc: dict[str, Any]) -> np.ndarray:
    if doc.get("format") != LATENT_FORMAT:
        raise ValueError(f"not a PGT latent (format={doc.get('format')!r}, expected {LATENT_FORMAT!r})")
    vec = np.asarray(doc.get("vector", []), dtype=np.float32).reshape(-1)
    if vec.shape != (LATENT_DIM,) or not np.isfinite(vec).all():
        raise ValueError(f"a latent must be {LATENT_DIM} finite floats, got {vec.size}")
    return vec


def import_latent(sink: ExportSource, doc: dict[str, Any], task: str | int | None = None,
                  create_task: bool = True) -> dict[str, Any]:
    """Add a latent document to a store (or app) as a new latent, source 'import', lineage kept in meta.

    The task is `task` if given, else the document's task by name (created from the
    document when missing and `create_task`). Ids from the exporting store are kept in meta
    only: ids are not portable between databases.
    """
    vec = check_latent_document(doc)
    tasks = sink.list_tasks()
    wanted = task if task is not None else (doc.get("task") or {}).get("name")
    if wanted is None:
        raise ValueError("the latent names no task; pass task=")
    row = next((t for t in tasks if t["name"] == str(wanted) or str(t["id"]) == str(wanted)), None)
    if row is None:
        spec = doc.get("task") or {}
        if not (create_task and spec.get("name") == wanted and spec.get("achievement")):
            raise KeyError(f"no task {wanted!r} in the target store")
        row = sink.create_task(spec["name"], spec["achievement"], int(spec["max_steps"]),
                               spec.get("description") or "", spec.get("env") or "crafter")
    old = doc.get("latent") or {}
    meta = {"imported": {"from_id": old.get("id"), "source": old.get("source"), "parent_id": old.get("parent_id"),
                         "created_at": old.get("created_at"), "z_id": doc.get("z_id")},
            **(old.get("meta") or {})}
    return sink.add_latent(row["id"], vec.tolist(), "import", None, meta)

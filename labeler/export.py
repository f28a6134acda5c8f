"""Export labels and pairs with full provenance (JSONL, Parquet, chosen/rejected) and move latents in and out.

Why full provenance in every row: a preference dataset outlives the app that collected
it. Each label row says which task and round it belongs to, which latent and world/sample
seeds produced each rollout, who labelled it, which rollout was shown on the left, and
when -- enough to re-run the rollouts, audit annotators, or train another method on it.

Sources: the functions read through a small store-like interface (`ExportSource`), so the
same code exports from the DuckDB file (`StoreSource`, only while the app is *not* running:
DuckDB admits one process per file) or from a running app over HTTP (`HttpSource`).

    python -m labeler.export --data-dir data --out exports/           # the file, or the app if it holds it
    python -m labeler.export --url http://127.0.0.1:7860 --out exports/ --task collect_wood
    python -m labeler.export --data-dir data --import-latents exports/latents.jsonl

Parquet is written by DuckDB itself (no pyarrow needed), with an explicit schema so column
types never depend on the data (an all-NULL column stays typed).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, Protocol, Sequence

import duckdb
import numpy as np

from pgt_core import LATENT_DIM

LATENT_FORMAT = "pgt-latent/1"
PAGE = 10_000

# -- what is read -----------------------------------------------------------------------------


class ExportSource(Protocol):
    """The read (and, for latent import, write) methods of `labeler.store.Store` that export uses."""

    def list_tasks(self) -> list[dict[str, Any]]: ...
    def list_rounds(self, task_id: int) -> list[dict[str, Any]]: ...
    def list_latents(self, task_id: int) -> list[dict[str, Any]]: ...
    def get_latent(self, latent_id: int) -> dict[str, Any]: ...
    def list_trajectories(self, task_id: int, round_id: int | None = None) -> list[dict[str, Any]]: ...
    def list_pairs(self, task_id: int) -> list[dict[str, Any]]: ...
    def list_labels(self, task_id: int | None = None, annotator: str | None = None, after_id: int = 0,
                    limit: int = PAGE) -> list[dict[str, Any]]: ...
    def create_task(self, name: str, achievement: str, max_steps: int, description: str = "",
                    env: str = "crafter") -> dict[str, Any]: ...
    def add_latent(self, task_id: int, vector: Iterable[float], source: str, parent_id: int | None = None,
                   meta: dict[str, Any] | None = None) -> dict[str, Any]: ...
    def artifact_location(self, name: str) -> str: ...


class StoreSource:
    """A `Store` (in-process) plus where its artifacts lie, as an `ExportSource`."""

    def __init__(self, store: Any, artifact_dir: str | Path | None = None) -> None:
        self.store = store
        self.artifact_dir = Path(artifact_dir) if artifact_dir is not None else None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def artifact_location(self, name: str) -> str:
        from labeler.artifacts import KINDS

        if self.artifact_dir is None:
            return name
        return str(self.artifact_dir / KINDS[name.rsplit(".", 1)[-1]] / name)


class HttpSource:
    """A running app's /api as an `ExportSource` (for when the app holds the DuckDB file)."""

    def __init__(self, base_url: str, timeout: float = 60.0, client: Any = None, token: str | None = None) -> None:
        """client: an httpx.Client to use instead of a new one (e.g. FastAPI's TestClient in tests).
        token: sent as a bearer token (the researcher token, where the app protects these routes)."""
        import httpx

        self.base_url = base_url.rstrip("/")
        self._client = client if client is not None else httpx.Client(base_url=self.base_url, timeout=timeout)
        if token:
            self._client.headers["Authorization"] = f"Bearer {token}"

    def _get(self, path: str, **params: Any) -> Any:
        r = self._client.get(path, params={k: v for k, v in params.items() if v is not None})
        r.raise_for_status()
        return r.json()

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        r = self._client.post(path, json=body)
        if r.status_code >= 400:
            raise RuntimeError(f"POST {path} failed ({r.status_code}): {r.text}")
        return r.json()

    def list_tasks(self) -> list[dict[str, Any]]:
        return self._get("/api/tasks")

    def list_rounds(self, task_id: int) -> list[dict[str, Any]]:
        return self._get(f"/api/tasks/{task_id}/rounds")

    def list_latents(self, task_id: int) -> list[dict[str, Any]]:
        return self._get(f"/api/tasks/{task_id}/latents")

    def get_latent(self, latent_id: int) -> dict[str, Any]:
        return self._get(f"/api/latents/{latent_id}")

    def list_trajectories(self, task_id: int, round_id: int | None = None) -> list[dict[str, Any]]:
        return self._get("/api/trajectories", task_id=task_id, round_id=round_id)

    def list_pairs(self, task_id: int) -> list[dict[str, Any]]:
        return self._get("/api/pairs", task_id=task_id)

    def list_labels(self, task_id: int | None = None, annotator: str | None = None, after_id: int = 0,
                    limit: int = PAGE) -> list[dict[str, Any]]:
        return self._get("/api/labels", task_id=task_id, annotator=annotator, after_id=after_id, limit=limit)

    def create_task(self, name: str, achievement: str, max_steps: int, description: str = "",
                    env: str = "crafter") -> dict[str, Any]:
        return self._post("/api/tasks", {"name": name, "achievement": achievement, "max_steps": max_steps,
                                         "description": description, "env": env})

    def add_latent(self, task_id: int, vector: Iterable[float], source: str, parent_id: int | None = None,
                   meta: dict[str, Any] | None = None) -> dict[str, Any]:
        return self._post("/api/latents", {"task_id": task_id, "vector": [float(v) for v in vector],
                                           "source": source, "parent_id": parent_id, "meta": meta})

    def artifact_location(self, name: str) -> str:
        return f"{self.base_url}/api/artifacts/{name}"

    def close(self) -> None:
        self._client.close()


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


# -- row schemas ------------------------------------------------------------------------------
SIDE_COLUMNS: dict[str, str] = {
    "traj": "VARCHAR", "seed": "BIGINT", "latent_id": "BIGINT", "z_id": "VARCHAR", "sample_seed": "BIGINT",
    "greedy": "BOOLEAN", "reward": "DOUBLE", "success": "BOOLEAN", "length": "INTEGER", "artifact": "VARCHAR",
    "events": "JSON",
}
CONTEXT_COLUMNS: dict[str, str] = {
    "pair_id": "BIGINT", "pair_source": "VARCHAR", "pair_created_at": "TIMESTAMPTZ",
    "task_id": "BIGINT", "task": "VARCHAR", "env": "VARCHAR", "achievement": "VARCHAR", "max_steps": "INTEGER",
    "round_id": "BIGINT", "round_number": "INTEGER", "round_latent_id": "BIGINT",
    **{f"{side}_{k}": v for side in ("a", "b") for k, v in SIDE_COLUMNS.items()},
}
LABEL_COLUMNS: dict[str, str] = {
    "label_id": "BIGINT", "submission_id": "VARCHAR", "annotator": "VARCHAR", "choice": "VARCHAR",
    "preferred": "VARCHAR", "rejected": "VARCHAR", "shown_left": "VARCHAR", "shown_right": "VARCHAR",
    "time_spent_ms": "INTEGER", "labelled_at": "TIMESTAMPTZ", **CONTEXT_COLUMNS,
}
PAIR_COLUMNS: dict[str, str] = {**CONTEXT_COLUMNS, "n_labels": "INTEGER"}


def _side(traj: dict[str, Any], source: ExportSource) -> dict[str, Any]:
    meta = traj.get("meta") or {}
    return {"traj": traj["id"], "seed": traj["seed"], "latent_id": traj.get("latent_id"), "z_id": meta.get("z_id"),
            "sample_seed": meta.get("sample_seed"), "greedy": meta.get("greedy"), "reward": traj["reward"],
            "success": traj["success"], "length": traj["length"],
            "artifact": source.artifact_location(traj["artifact"]), "events": traj.get("events") or []}


class _TaskIndex:
    """One task's rounds and trajectories by id, read once per export."""

    def __init__(self, source: ExportSource, task: dict[str, Any]) -> None:
        self.source = source
        self.task = task
        self.rounds = {r["id"]: r for r in source.list_rounds(task["id"])}
        self.trajs = {t["id"]: t for t in source.list_trajectories(task["id"])}
        self.pairs = {p["id"]: p for p in source.list_pairs(task["id"])}

    def context(self, pair: dict[str, Any]) -> dict[str, Any]:
        """Task, round and both rollouts' provenance for a pair (the shared part of label and pair rows)."""
        rnd = self.rounds.get(pair.get("round_id")) or {}
        row = {"pair_id": pair["id"], "pair_source": pair.get("source"), "pair_created_at": pair.get("created_at"),
               "task_id": self.task["id"], "task": self.task["name"], "env": self.task.get("env"),
               "achievement": self.task["achievement"], "max_steps": self.task["max_steps"],
               "round_id": pair.get("round_id"), "round_number": rnd.get("number"),
               "round_latent_id": rnd.get("latent_id")}
        for side in ("a", "b"):
            for k, v in _side(self.trajs[pair[f"traj_{side}"]], self.source).items():
                row[f"{side}_{k}"] = v
        return row


def label_rows(source: ExportSource, task: str | int | None = None) -> list[dict[str, Any]]:
    """One row per label (skips included) with the pair's full provenance (`LABEL_COLUMNS`)."""
    rows = []
    for t in select_tasks(source, task):
        index = _TaskIndex(source, t)
        for lab in iter_labels(source, t["id"]):
            preferred = lab.get("preferred")
            rejected = None
            if preferred is not None:
                rejected = lab["right_traj"] if preferred == lab["left_traj"] else lab["left_traj"]
            rows.append({"label_id": lab["id"], "submission_id": lab["submission_id"], "annotator": lab["annotator"],
                         "choice": lab["choice"], "preferred": preferred, "rejected": rejected,
                         "shown_left": lab["left_traj"], "shown_right": lab["right_traj"],
                         "time_spent_ms": lab.get("time_spent_ms"), "labelled_at": lab.get("created_at"),
                         **index.context(index.pairs[lab["pair_id"]])})
    return rows


def pair_rows(source: ExportSource, task: str | int | None = None) -> list[dict[str, Any]]:
    """One row per pair, labelled or not, with provenance and its label count (`PAIR_COLUMNS`)."""
    rows = []
    for t in select_tasks(source, task):
        index = _TaskIndex(source, t)
        rows.extend({**index.context(p), "n_labels": p.get("n_labels", 0)} for p in index.pairs.values())
    return rows


def chosen_rejected(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The chosen/rejected format: one object per decisive label, built from `label_rows`.

    {"task", "prompt": {...}, "chosen": {rollout}, "rejected": {rollout}, "annotator", ...}, where a
    rollout is {"trajectory_id", "artifact", "seed", "sample_seed", "latent_id", "z_id", "reward",
    "success", "length"} -- what preference-learning code (DPO/IPO trainers) expects per example.
    """
    out = []
    for r in rows:
        if r["preferred"] is None:
            continue
        side = {r["a_traj"]: "a", r["b_traj"]: "b"}

        def rollout(traj_id: str) -> dict[str, Any]:
            s = side[traj_id]
            return {"trajectory_id": traj_id, **{k: r[f"{s}_{k}"] for k in
                    ("artifact", "seed", "sample_seed", "latent_id", "z_id", "reward", "success", "length")}}

        out.append({
            "task": r["task"],
            "prompt": {"task": r["task"], "env": r["env"], "achievement": r["achievement"],
                       "max_steps": r["max_steps"], "round_latent_id": r["round_latent_id"]},
            "chosen": rollout(r["preferred"]), "rejected": rollout(r["rejected"]),
            "annotator": r["annotator"], "label_id": r["label_id"], "pair_id": r["pair_id"],
            "round_id": r["round_id"], "round_number": r["round_number"],
            "shown_left": r["shown_left"], "labelled_at": r["labelled_at"], "time_spent_ms": r["time_spent_ms"],
        })
    return out


# -- writers ----------------------------------------------------------------------------------
def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def jsonl_text(rows: Iterable[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, default=_json_default) + "\n" for r in rows)


def write_jsonl(rows: Iterable[dict[str, Any]], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(jsonl_text(rows))
    tmp.replace(path)
    return path


def write_parquet(rows: Sequence[dict[str, Any]], path: str | Path, columns: dict[str, str]) -> Path:
    """Rows -> Parquet with the given DuckDB column types (via a JSONL staging file, no pyarrow)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as tmpdir:
        staging = Path(tmpdir) / "rows.jsonl"
        staging.write_text(jsonl_text({c: r.get(c) for c in columns} for r in rows))
        spec = "{" + ", ".join(f"'{c}': '{t}'" for c, t in columns.items()) + "}"
        tmp = Path(tmpdir) / "out.parquet"
        con = duckdb.connect()
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.execute(
                f"COPY (SELECT * FROM read_json('{_sql_path(staging)}', format = 'newline_delimited', "
                f"columns = {spec})) TO '{_sql_path(tmp)}' (FORMAT parquet)"
            )
        finally:
            con.close()
        tmp.replace(path)
    return path


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


# -- latents ----------------------------------------------------------------------------------
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
    return [latent_document(source, lat["id"]) for t in select_tasks(source, task) for lat in source.list_latents(t["id"])]


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


# -- everything at once -----------------------------------------------------------------------
def export_all(source: ExportSource, out_dir: str | Path, task: str | int | None = None,
               parquet: bool = True) -> dict[str, Any]:
    """Write labels/pairs (JSONL + Parquet), chosen_rejected.jsonl, latents.jsonl and manifest.json."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    labels = label_rows(source, task)
    pairs = pair_rows(source, task)
    pref = chosen_rejected(labels)
    latents = latent_documents(source, task)
    files = {
        "labels.jsonl": write_jsonl(labels, out / "labels.jsonl"),
        "pairs.jsonl": write_jsonl(pairs, out / "pairs.jsonl"),
        "chosen_rejected.jsonl": write_jsonl(pref, out / "chosen_rejected.jsonl"),
        "latents.jsonl": write_jsonl(latents, out / "latents.jsonl"),
    }
    if parquet:
        files["labels.parquet"] = write_parquet(labels, out / "labels.parquet", LABEL_COLUMNS)
        files["pairs.parquet"] = write_parquet(pairs, out / "pairs.parquet", PAIR_COLUMNS)
    manifest = {
        "exported_at": datetime.now(timezone.utc).isoformat(),
        "source": getattr(source, "base_url", None) or str(getattr(getattr(source, "store", None), "path", "")),
        "task": task,
        "counts": {"labels": len(labels), "pairs": len(pairs), "chosen_rejected": len(pref), "latents": len(latents)},
        "files": sorted(files),
        "columns": {"labels": LABEL_COLUMNS, "pairs": PAIR_COLUMNS},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return manifest


# -- command line -----------------------------------------------------------------------------
def open_source(data_dir: str | Path, url: str | None = None,
                fallback_url: str = "http://127.0.0.1:7860", token: str | None = None) -> ExportSource:
    """The DuckDB file under `data_dir` when no process holds it, else the running app over HTTP."""
    token = token or os.environ.get("PGT_RESEARCHER_TOKEN")
    if url:
        return HttpSource(url, token=token)
    from labeler.config import AppConfig
    from labeler.store import Store

    cfg = AppConfig(data_dir=Path(data_dir))
    if not Path(cfg.db_path).exists():
        raise FileNotFoundError(f"no database at {cfg.db_path}")
    try:
        return StoreSource(Store(cfg.db_path), cfg.artifact_dir)
    except duckdb.IOException as exc:  # the app holds the file's lock
        print(f"{cfg.db_path} is in use ({str(exc).splitlines()[0]}); exporting through the app at {fallback_url}",
              file=sys.stderr)
        return HttpSource(fallback_url, token=token)


def close_source(source: ExportSource) -> None:
    closer = getattr(getattr(source, "store", None), "close", None) or getattr(source, "close", None)
    if closer is not None:
        closer()


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m labeler.export", description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", default="data", help="the app's data directory (holds pgt.duckdb)")
    p.add_argument("--url", help="export from a running app at this URL instead of the file")
    p.add_argument("--app-url", default="http://127.0.0.1:7860", help="where to find the app if it holds the file")
    p.add_argument("--token", help="researcher token for the app (default: $PGT_RESEARCHER_TOKEN)")
    p.add_argument("--out", default="exports", help="output directory")
    p.add_argument("--task", help="only this task (name or id)")
    p.add_argument("--no-parquet", action="store_true", help="JSONL only")
    p.add_argument("--import-latents", metavar="FILE", help="import latents from .json/.jsonl/.npy instead")
    p.add_argument("--into-task", help="with --import-latents: the task to attach them to")
    args = p.parse_args(argv)
    source = open_source(args.data_dir, args.url, args.app_url, args.token)
    try:
        if args.import_latents:
            for doc in read_latent_documents(args.import_latents):
                row = import_latent(source, doc, task=args.into_task)
                print(f"imported latent {row['id']} into task {row['task_id']}")
            return 0
        manifest = export_all(source, args.out, task=args.task, parquet=not args.no_parquet)
    finally:
        close_source(source)
    print(json.dumps({"out": str(Path(args.out).resolve()), **manifest["counts"]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

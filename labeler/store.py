"""The DuckDB store: the one read-write owner of tasks, latents, rounds, trajectories, pairs, labels, jobs.

Why one owner: DuckDB lets exactly one process open a database file read-write (a second
process cannot even read it). The app process holds this `Store`; workers, the
benchmark and tests reach it over HTTP (see `labeler.api`).

Concurrency: one connection guarded by one re-entrant lock. Every method takes the lock,
so a check-then-insert (e.g. "has this person labelled this pair?") is atomic within the
process, and the table constraints (unique submission id, unique (pair, annotator)) are
the second line of defence. Queries here take about a millisecond, so a single lock is
not the bottleneck of a labeling app.

Durability: DuckDB writes a transaction to its write-ahead log and flushes it to disk
before COMMIT returns, so a label that `add_label` returned is on disk; `close()` also
runs CHECKPOINT so a clean shutdown leaves a compact file with an empty WAL. Concurrent
label submissions share one commit (group commit), so the flush is paid once per batch.
"""
from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Sequence

import duckdb
import numpy as np

from labeler.errors import Conflict, Invalid, NotFound
from labeler.label_index import LabelIndex, PairStat
from labeler.schema import MIGRATIONS, Migration
from pgt_core import LATENT_DIM

CHOICES = ("left", "right", "tie", "both_bad", "skip")
JOB_STATUSES = ("queued", "running", "done", "failed")
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_JSON_COLUMNS = {"events", "meta", "payload", "result"}


def check_id(value: str, what: str = "id") -> str:
    """Ids double as artifact file names, so they are restricted to [A-Za-z0-9_-]."""
    if not isinstance(value, str) or not ID_RE.match(value):
        raise Invalid(f"invalid {what} {value!r}: use 1-64 characters from A-Z a-z 0-9 _ - (not starting with _ or -)")
    return value


def check_name(name: str, what: str = "annotator") -> str:
    """People and workers are named freely (any printable text), within reason."""
    name = (name or "").strip() if isinstance(name, str) else ""
    if not 1 <= len(name) <= 64 or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise Invalid(f"{what} must be 1-64 printable characters")
    return name


def _plain(value: Any, column: str) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if column in _JSON_COLUMNS and isinstance(value, str):
        return json.loads(value)
    if isinstance(value, tuple):  # FLOAT[n] arrays come back as tuples
        return list(value)
    return value


def _dicts(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    cols = [d[0] for d in cur.description]
    return [{c: _plain(v, c) for c, v in zip(cols, row)} for row in cur.fetchall()]


@dataclass
class _LabelRequest:
    """One label on its way into the database, filled in by whichever thread commits it."""

    submission_id: str
    pair_id: int
    annotator: str
    choice: str
    left_traj: str
    right_traj: str
    time_spent_ms: int | None
    row: dict[str, Any] | None = None
    created: bool = False
    error: Exception | None = None
    done: bool = False


class Store:
    def __init__(self, path: str | Path, migrations: Sequence[Migration] = MIGRATIONS) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = duckdb.connect(str(self.path))
        self._lock = threading.RLock()
        self._closed = False
        self._index = LabelIndex()  # write-through: see labeler.label_index
        self._pair_details: dict[int, dict[str, Any]] = {}  # pairs and trajectories never change
        self._label_queue: list[_LabelRequest] = []  # labels waiting for the next group commit
        self._queue_lock = threading.Lock()
        self.migrate(migrations)

    # -- plumbing ---------------------------------------------------------------------------
    def _query(self, sql: str, params: Sequence[Any] | dict | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return _dicts(self._con.execute(sql, params or []))

    def _one(self, sql: str, params: Sequence[Any] | dict | None = None) -> dict[str, Any] | None:
        rows = self._query(sql, params)
        return rows[0] if rows else None

    def _scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        with self._lock:
            row = self._con.execute(sql, params or []).fetchone()
        return row[0] if row else None

    def _by_id(self, table: str, key: Any, what: str) -> dict[str, Any]:
        row = self._one(f"SELECT * FROM {table} WHERE id = ?", [key])
        if row is None:
            raise NotFound(f"no {what} with id {key!r}")
        return row

    def close(self) -> None:
        """Checkpoint (fold the WAL into the file) and close; safe to call twice."""
        with self._lock:
            if self._closed:
                return
            self._con.execute("CHECKPOINT")
            self._con.close()
            self._closed = True

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- schema -----------------------------------------------------------------------------
    def schema_version(self) -> int:
        return int(self._scalar("SELECT coalesce(max(version), 0) FROM schema_version") or 0)

    def migrate(self, migrations: Sequence[Migration] = MIGRATIONS) -> list[int]:
        """Apply, in order and each in its own transaction, the migrations this file lacks."""
        versions = [m.version for m in migrations]
        if versions != sorted(set(versions)):
            raise ValueError(f"migration versions must be strictly increasing, got {versions}")
        applied: list[int] = []
        with self._lock:
            self._con.execute(
                "CREATE TABLE IF NOT EXISTS schema_version ("
                "version INTEGER PRIMARY KEY, description TEXT, applied_at TIMESTAMPTZ DEFAULT now())"
            )
            current = self.schema_version()
            for m in migrations:
                if m.version <= current:
                    continue
                self._con.execute("BEGIN TRANSACTION")
                try:
                    for stmt in m.statements:
                        self._con.execute(stmt)
                    self._con.execute(
                        "INSERT INTO schema_version (version, description) VALUES (?, ?)", [m.version, m.description]
                    )
                    self._con.execute("COMMIT")
                except Exception:
                    self._con.execute("ROLLBACK")
                    raise
                applied.append(m.version)
        return applied

    # -- tasks ------------------------------------------------------------------------------
    def create_task(
        self, name: str, achievement: str, max_steps: int, description: str = "", env: str = "crafter"
    ) -> dict[str, Any]:
        check_id(name, "task name")
        with self._lock:
            if self.task_by_name(name) is not None:
                raise Conflict(f"a task named {name!r} already exists")
            return self._one(
                "INSERT INTO tasks (name, env, achievement, max_steps, description) VALUES (?, ?, ?, ?, ?) RETURNING *",
                [name, env, achievement, int(max_steps), description],
            )

    def get_task(self, task_id: int) -> dict[str, Any]:
        return self._by_id("tasks", int(task_id), "task")

    def task_by_name(self, name: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM tasks WHERE name = ?", [name])

    def list_tasks(self) -> list[dict[str, Any]]:
        """Tasks with their trajectory, pair and label counts (skips excluded)."""
        return self._query(
            """SELECT t.*,
                 (SELECT count(*) FROM trajectories x WHERE x.task_id = t.id) AS n_trajectories,
                 (SELECT count(*) FROM pairs p WHERE p.task_id = t.id) AS n_pairs,
                 (SELECT count(*) FROM labels l JOIN pairs p ON l.pair_id = p.id
                   WHERE p.task_id = t.id AND l.choice <> 'skip') AS n_labels
               FROM tasks t ORDER BY t.id"""
        )

    # -- latents ----------------------------------------------------------------------------
    def add_latent(
        self,
        task_id: int,
        vector: Iterable[float],
        source: str,
        parent_id: int | None = None,
        meta: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        vec = np.asarray(list(vector) if not isinstance(vector, np.ndarray) else vector, dtype=np.float32).reshape(-1)
        if vec.shape != (LATENT_DIM,):
            raise Invalid(f"a latent must have {LATENT_DIM} floats, got {vec.shape[0]}")
        if not np.isfinite(vec).all():
            raise Invalid("a latent must be finite")
        with self._lock:
            self.get_task(task_id)
            if parent_id is not None:
                self.get_latent(parent_id)
            return self._one(
                "INSERT INTO latents (task_id, vector, source, parent_id, meta) VALUES (?, ?, ?, ?, ?) RETURNING *",
                [int(task_id), vec.tolist(), source, parent_id, json.dumps(meta or {})],
            )

    def get_latent(self, latent_id: int) -> dict[str, Any]:
        return self._by_id("latents", int(latent_id), "latent")

    def list_latents(self, task_id: int) -> list[dict[str, Any]]:
        """Latent metadata for a task (without the 512 floats; fetch one with `get_latent`)."""
        return self._query(
            "SELECT id, task_id, source, parent_id, meta, created_at FROM latents WHERE task_id = ? ORDER BY id",
            [int(task_id)],
        )

    # -- rounds -----------------------------------------------------------------------------
    def create_round(self, task_id: int, latent_id: int | None = None) -> dict[str, Any]:
        """Open the task's next round (numbered 1, 2, ...)."""
        with self._lock:
            self.get_task(task_id)
            if latent_id is not None:
                self.get_latent(latent_id)
            number = int(self._scalar("SELECT coalesce(max(number), 0) + 1 FROM rounds WHERE task_id = ?", [task_id]))
            return self._one(
                "INSERT INTO rounds (task_id, latent_id, number) VALUES (?, ?, ?) RETURNING *",
                [int(task_id), latent_id, number],
            )

    # A round's status lives in `round_state` (migration 2), not in `rounds.status`: DuckDB refuses
    # to UPDATE a row that a foreign key references, and trajectories and pairs reference rounds.
    # `rounds.status` keeps its insert-time default ('open') for rounds that never changed status.
    _ROUNDS = """SELECT r.id, r.task_id, r.latent_id, r.number, coalesce(s.status, r.status) AS status, r.created_at
                 FROM rounds r LEFT JOIN round_state s ON s.round_id = r.id"""

    def get_round(self, round_id: int) -> dict[str, Any]:
        row = self._one(f"{self._ROUNDS} WHERE r.id = ?", [int(round_id)])
        if row is None:
            raise NotFound(f"no round with id {round_id!r}")
        return row

    def list_rounds(self, task_id: int) -> list[dict[str, Any]]:
        return self._query(f"{self._ROUNDS} WHERE r.task_id = ? ORDER BY r.number", [int(task_id)])

    def set_round_status(self, round_id: int, status: str) -> dict[str, Any]:
        """Set a round's status (a row in `round_state`, shared with `labeler.rounds`); returns the round."""
        from labeler.round_store import RoundStore  # built on this class, so imported here

        if not isinstance(status, str) or not 1 <= len(status) <= 64:
            raise Invalid("a round status must be 1-64 characters")
        with self._lock:
            self.get_round(round_id)
            RoundStore(self).set_state(int(round_id), status=status)
            return self.get_round(round_id)

    # -- trajectories -----------------------------------------------------------------------
    def add_trajectory(
        self,
        traj_id: str,
        task_id: int,
        *,
        seed: int,
        length: int,
        reward: float,
        success: bool,
        events: Sequence[tuple[int, str]] | Sequence[list],
        artifact: str,
        round_id: int | None = None,
        latent_id: int | None = None,
        meta: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Register a trajectory whose arrays already lie in the artifact directory as `artifact`."""
        check_id(traj_id, "trajectory id")
        events_list = [[int(s), str(n)] for s, n in events]
        with self._lock:
            self.get_task(task_id)
            if round_id is not None and self.get_round(round_id)["task_id"] != task_id:
                raise Invalid(f"round {round_id} belongs to another task")
            if self._one("SELECT id FROM trajectories WHERE id = ?", [traj_id]) is not None:
                raise Conflict(f"trajectory {traj_id!r} already exists")
            return self._one(
                """INSERT INTO trajectories (id, task_id, round_id, latent_id, seed, length, reward, success,
                     events, artifact, meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *""",
                [traj_id, int(task_id), round_id, latent_id, int(seed), int(length), float(reward), bool(success),
                 json.dumps(events_list), artifact, json.dumps(meta or {})],
            )

    def get_trajectory(self, traj_id: str) -> dict[str, Any]:
        return self._by_id("trajectories", traj_id, "trajectory")

    def list_trajectories(self, task_id: int, round_id: int | None = None) -> list[dict[str, Any]]:
        if round_id is None:
            return self._query("SELECT * FROM trajectories WHERE task_id = ? ORDER BY created_at, id", [int(task_id)])
        return self._query(
            "SELECT * FROM trajectories WHERE task_id = ? AND round_id = ? ORDER BY created_at, id",
            [int(task_id), int(round_id)],
        )

    # -- pairs ------------------------------------------------------------------------------
    def add_pairs(
        self, task_id: int, pairs: Iterable[tuple[str, str]], round_id: int | None = None, source: str = "human"
    ) -> list[dict[str, Any]]:
        """Add unordered pairs of the task's trajectories; pairs that exist already are skipped."""
        out: list[dict[str, Any]] = []
        with self._lock:
            self.get_task(task_id)
            for a, b in pairs:
                if a == b:
                    raise Invalid(f"a pair needs two different trajectories, got {a!r} twice")
                a, b = sorted((a, b))
                for t in (a, b):
                    if self.get_trajectory(t)["task_id"] != task_id:
                        raise Invalid(f"trajectory {t!r} belongs to another task")
                if self._one("SELECT id FROM pairs WHERE task_id = ? AND traj_a = ? AND traj_b = ?", [task_id, a, b]):
                    continue
                row = self._one(
                    "INSERT INTO pairs (task_id, round_id, traj_a, traj_b, source) VALUES (?, ?, ?, ?, ?) RETURNING *",
                    [int(task_id), round_id, a, b, source],
                )
                self._index.add_pair(int(task_id), row["id"], round_id)
                out.append(row)
        return out

    def get_pair(self, pair_id: int) -> dict[str, Any]:
        return self._by_id("pairs", int(pair_id), "pair")

    def pair_detail(self, pair_id: int) -> dict[str, Any]:
        """A pair with its task's target and both trajectories' metadata (cached: none of it changes)."""
        cached = self._pair_details.get(int(pair_id))
        if cached is not None:
            return cached
        cols = "id, length, reward, success, events"
        with self._lock:
            cur = self._con.execute(
                f"""SELECT p.id, p.task_id, p.round_id, t.achievement, t.max_steps,
                      a.{cols.replace(', ', ', a.')}, b.{cols.replace(', ', ', b.')}
                    FROM pairs p JOIN tasks t ON t.id = p.task_id
                      JOIN trajectories a ON a.id = p.traj_a JOIN trajectories b ON b.id = p.traj_b
                    WHERE p.id = ?""",
                [int(pair_id)],
            )
            row = cur.fetchone()
        if row is None:
            raise NotFound(f"no pair with id {pair_id}")
        names = cols.split(", ")
        side = lambda vals: {n: _plain(v, n) for n, v in zip(names, vals)}  # noqa: E731
        detail = {"id": row[0], "task_id": row[1], "round_id": row[2], "achievement": row[3], "max_steps": row[4],
                  "a": side(row[5:10]), "b": side(row[10:15])}
        self._pair_details[int(pair_id)] = detail
        return detail

    def list_pairs(self, task_id: int) -> list[dict[str, Any]]:
        """Pairs with how many labels (skips excluded) each has."""
        return self._query(
            """SELECT p.*, count(l.id) FILTER (WHERE l.choice <> 'skip') AS n_labels
               FROM pairs p LEFT JOIN labels l ON l.pair_id = p.id
               WHERE p.task_id = ? GROUP BY ALL ORDER BY p.id""",
            [int(task_id)],
        )

    def pair_stats(self, task_id: int, annotator: str) -> list[PairStat]:
        """Per pair of the task: labels so far and whether `annotator` has seen it (for scheduling)."""
        task_id = int(task_id)
        if not self._index.loaded(task_id):
            with self._lock:  # writers hold this lock too, so nothing lands between the read and the load
                if not self._index.loaded(task_id):
                    self._index.load(task_id, self._con.execute(
                        """SELECT p.id, p.round_id, l.annotator, l.choice
                           FROM pairs p LEFT JOIN labels l ON l.pair_id = p.id WHERE p.task_id = ?""",
                        [task_id],
                    ).fetchall())
        return self._index.stats(task_id, annotator)

    # -- labels -----------------------------------------------------------------------------
    def add_label(
        self,
        *,
        submission_id: str,
        pair_id: int,
        annotator: str,
        choice: str,
        left_traj: str,
        right_traj: str,
        time_spent_ms: int | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """Store one label; returns (label, created).

        Idempotent on `submission_id`: resending the same label returns the stored row with
        created=False (a retry after a lost response writes nothing). A different label under
        a used submission id, or a second label by the same person for the same pair, is a
        Conflict.
        """
        if not isinstance(submission_id, str) or not 8 <= len(submission_id) <= 128:
            raise Invalid("submission_id must be a string of 8-128 characters (e.g. a UUID)")
        if choice not in CHOICES:
            raise Invalid(f"invalid choice {choice!r}; expected one of {', '.join(CHOICES)}")
        if time_spent_ms is not None and not 0 <= int(time_spent_ms) <= 86_400_000:
            raise Invalid("time_spent_ms must be between 0 and 86400000")
        req = _LabelRequest(submission_id, int(pair_id), check_name(annotator), choice, left_traj, right_traj,
                            None if time_spent_ms is None else int(time_spent_ms))
        with self._queue_lock:
            self._label_queue.append(req)
        with self._lock:
            # Group commit: whoever holds the lock writes every label queued so far in one
            # transaction (one disk flush); the others then find theirs already done.
            if not req.done:
                with self._queue_lock:
                    batch, self._label_queue = self._label_queue, []
                self._write_labels(batch)
        if req.error is not None:
            raise req.error
        return req.row, req.created

    def _write_labels(self, batch: list["_LabelRequest"]) -> None:
        """Check and insert a batch in one transaction; on an unexpected error, retry one by one."""
        inserted: list[tuple[_LabelRequest, int]] = []
        try:
            self._con.execute("BEGIN TRANSACTION")
            for req in batch:
                try:
                    task_id = self._insert_label(req)
                    if req.created:
                        inserted.append((req, task_id))
                except (Invalid, NotFound, Conflict) as exc:  # refused: nothing written for this one
                    req.error = exc
            self._con.execute("COMMIT")
        except Exception as exc:  # noqa: BLE001 - isolate the culprit, keep the others
            self._con.execute("ROLLBACK")
            if len(batch) > 1:
                for req in batch:
                    req.row, req.created, req.error = None, False, None
                    self._write_labels([req])
                return
            batch[0].row, batch[0].created = None, False
            batch[0].error = Conflict(str(exc)) if isinstance(exc, duckdb.ConstraintException) else exc
        for req, task_id in inserted:
            self._index.add_label(task_id, req.pair_id, req.annotator, req.choice)
        for req in batch:
            req.done = True

    def _insert_label(self, req: "_LabelRequest") -> int:
        """The checks and the INSERT for one label inside the open transaction; returns the task id."""
        prior = self._one("SELECT * FROM labels WHERE submission_id = ?", [req.submission_id])
        if prior is not None:
            if (prior["pair_id"], prior["annotator"], prior["choice"], prior["left_traj"], prior["right_traj"]) != (
                    req.pair_id, req.annotator, req.choice, req.left_traj, req.right_traj):
                raise Conflict(f"submission id {req.submission_id!r} was already used for a different label")
            req.row, req.created = prior, False
            return -1
        pair = self._one(
            """SELECT task_id, traj_a, traj_b,
                 (SELECT id FROM labels l WHERE l.pair_id = p.id AND l.annotator = ?) AS mine
               FROM pairs p WHERE id = ?""",
            [req.annotator, req.pair_id],
        )
        if pair is None:
            raise NotFound(f"no pair with id {req.pair_id}")
        if {req.left_traj, req.right_traj} != {pair["traj_a"], pair["traj_b"]} or req.left_traj == req.right_traj:
            raise Invalid(
                f"left_traj/right_traj must be the two trajectories of pair {req.pair_id} "
                f"({pair['traj_a']!r}, {pair['traj_b']!r})"
            )
        if pair["mine"] is not None:
            raise Conflict(f"annotator {req.annotator!r} already labelled pair {req.pair_id} (label {pair['mine']})")
        preferred = {"left": req.left_traj, "right": req.right_traj}.get(req.choice)
        req.row = self._one(
            """INSERT INTO labels (submission_id, pair_id, annotator, choice, left_traj, right_traj, preferred,
                 time_spent_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *""",
            [req.submission_id, req.pair_id, req.annotator, req.choice, req.left_traj, req.right_traj, preferred,
             req.time_spent_ms],
        )
        req.created = True
        return int(pair["task_id"])

    def list_labels(
        self,
        task_id: int | None = None,
        annotator: str | None = None,
        after_id: int = 0,
        limit: int = 10_000,
    ) -> list[dict[str, Any]]:
        """Labels in id order, joined with their pair's trajectories; page with `after_id`."""
        where, params = self._label_filter(task_id, annotator)
        where.append("l.id > ?")
        params += [int(after_id), int(limit)]
        return self._query(
            f"""SELECT l.*, p.task_id, p.round_id, p.traj_a, p.traj_b FROM labels l JOIN pairs p ON l.pair_id = p.id
                WHERE {' AND '.join(where)} ORDER BY l.id LIMIT ?""",
            params,
        )

    @staticmethod
    def _label_filter(task_id: int | None, annotator: str | None) -> tuple[list[str], list[Any]]:
        """WHERE terms over `labels l JOIN pairs p` for the optional task and annotator."""
        where, params = ["TRUE"], []
        if task_id is not None:
            where.append("p.task_id = ?")
            params.append(int(task_id))
        if annotator is not None:
            where.append("l.annotator = ?")
            params.append(annotator)
        return where, params

    def count_labels(self, task_id: int | None = None, annotator: str | None = None, include_skips: bool = True) -> int:
        where, params = self._label_filter(task_id, annotator)
        if not include_skips:
            where.append("l.choice <> 'skip'")
        return int(
            self._scalar(
                f"SELECT count(*) FROM labels l JOIN pairs p ON l.pair_id = p.id WHERE {' AND '.join(where)}", params
            )
        )

    # -- jobs -------------------------------------------------------------------------------
    def enqueue_job(
        self,
        kind: str,
        task_id: int | None = None,
        payload: dict[str, Any] | None = None,
        max_attempts: int = 3,
        worker: str | None = None,
    ) -> dict[str, Any]:
        """Queue a job; with `worker` it starts out claimed by that worker (in-process jobs)."""
        if not kind or len(kind) > 64:
            raise Invalid("job kind must be 1-64 characters")
        with self._lock:
            if task_id is not None:
                self.get_task(task_id)
            if worker is None:
                return self._one(
                    "INSERT INTO jobs (kind, task_id, payload, max_attempts) VALUES (?, ?, ?, ?) RETURNING *",
                    [kind, task_id, json.dumps(payload or {}), int(max_attempts)],
                )
            return self._one(
                """INSERT INTO jobs (kind, task_id, payload, max_attempts, status, worker, attempts, claimed_at,
                     heartbeat_at) VALUES (?, ?, ?, ?, 'running', ?, 1, now(), now()) RETURNING *""",
                [kind, task_id, json.dumps(payload or {}), int(max_attempts), worker],
            )

    def get_job(self, job_id: int) -> dict[str, Any]:
        return self._by_id("jobs", int(job_id), "job")

    def list_jobs(
        self, status: str | None = None, kind: str | None = None, task_id: int | None = None, limit: int = 200
    ) -> list[dict[str, Any]]:
        where, params = ["TRUE"], []
        for col, val in (("status", status), ("kind", kind), ("task_id", task_id)):
            if val is not None:
                where.append(f"{col} = ?")
                params.append(val)
        params.append(int(limit))
        return self._query(f"SELECT * FROM jobs WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?", params)

    def requeue_stale_jobs(self, stale_after_s: float) -> int:
        """Running jobs whose worker stopped heartbeating go back to the queue (or fail when out of attempts).

        Jobs run inside the app process (worker 'app:...') live and die with it and are
        failed at startup instead, so they are left alone here.
        """
        with self._lock:
            rows = self._query(
                f"""UPDATE jobs SET
                      status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
                      error = 'worker ' || coalesce(worker, '?') || ' stopped heartbeating',
                      worker = NULL,
                      finished_at = CASE WHEN attempts >= max_attempts THEN now() ELSE NULL END
                    WHERE status = 'running' AND worker NOT LIKE 'app:%' AND heartbeat_at < now() - INTERVAL {float(stale_after_s)} SECOND
                    RETURNING id"""
            )
        return len(rows)

    def claim_job(self, worker: str, kinds: Sequence[str] | None = None, stale_after_s: float = 60.0) -> dict[str, Any] | None:
        """Atomically hand the oldest queued job (of `kinds`, if given) to `worker`; None when there is none."""
        worker = check_name(worker, "worker name")
        with self._lock:
            self.requeue_stale_jobs(stale_after_s)
            params: list[Any] = []
            where = "status = 'queued'"
            if kinds:
                where += f" AND kind IN ({', '.join('?' for _ in kinds)})"
                params.extend(kinds)
            row = self._one(f"SELECT id FROM jobs WHERE {where} ORDER BY id LIMIT 1", params)
            if row is None:
                return None
            return self._one(
                """UPDATE jobs SET status = 'running', worker = ?, attempts = attempts + 1, claimed_at = now(),
                     heartbeat_at = now(), progress = 0, error = NULL WHERE id = ? RETURNING *""",
                [worker, row["id"]],
            )

    def _owned_running(self, job_id: int, worker: str) -> dict[str, Any]:
        job = self.get_job(job_id)
        if job["status"] != "running" or job["worker"] != worker:
            raise Conflict(f"job {job_id} is not running under worker {worker!r} (status {job['status']}); abandon it")
        return job

    def heartbeat_job(
        self, job_id: int, worker: str, progress: float | None = None, message: str | None = None
    ) -> dict[str, Any]:
        """Keep a claim alive and report progress in [0, 1]; Conflict means the job was taken away."""
        with self._lock:
            job = self._owned_running(job_id, worker)
            p = job["progress"] if progress is None else min(1.0, max(0.0, float(progress)))
            m = job["message"] if message is None else str(message)[:500]
            return self._one(
                "UPDATE jobs SET heartbeat_at = now(), progress = ?, message = ? WHERE id = ? RETURNING *",
                [p, m, int(job_id)],
            )

    def complete_job(self, job_id: int, worker: str, result: dict[str, Any] | None = None) -> dict[str, Any]:
        with self._lock:
            self._owned_running(job_id, worker)
            return self._one(
                """UPDATE jobs SET status = 'done', progress = 1, result = ?, finished_at = now(), heartbeat_at = now()
                   WHERE id = ? RETURNING *""",
                [json.dumps(result or {}), int(job_id)],
            )

    def fail_job(self, job_id: int, worker: str, error: str, retry: bool = True) -> dict[str, Any]:
        """Record a failure; the job is queued again while attempts remain and `retry` is set."""
        with self._lock:
            job = self._owned_running(job_id, worker)
            again = retry and job["attempts"] < job["max_attempts"]
            return self._one(
                """UPDATE jobs SET status = ?, error = ?, worker = CASE WHEN ? THEN NULL ELSE worker END,
                     finished_at = CASE WHEN ? THEN NULL ELSE now() END WHERE id = ? RETURNING *""",
                ["queued" if again else "failed", str(error)[:2000], again, again, int(job_id)],
            )

"""One DuckDB connection, its lock, and the query helpers every repository uses.

Why one owner: DuckDB lets exactly one process open a database file read-write (a second
process cannot even read it). The app process holds this `Database`; workers, the benchmark
and tests reach it over HTTP.

Concurrency: one connection guarded by one re-entrant lock. Every helper takes the lock, and a
repository holds `db.lock` around a check-then-insert (e.g. "has this person labelled this
pair?") so it is atomic within the process; table constraints are the second line of defence.
Queries take about a millisecond, so one lock is not the bottleneck of a labelling app.

Durability: DuckDB writes a transaction to its write-ahead log and flushes it before COMMIT
returns, so a row a repository returned is on disk; `close()` runs CHECKPOINT so a clean
shutdown leaves a compact file with an empty WAL.
"""
from __future__ import annotations

import json
import os
import threading
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import duckdb

from labeler.errors import NotFound

Params = Sequence[Any] | dict[str, Any] | None
# Never fetch extensions from the network. Besides keeping the app offline, this lets replaying a write-ahead
# log after a crash find functions of the statically linked extensions (with auto-install on, DuckDB tries to
# download `core_functions` to re-bind `DEFAULT now()` when a log drops a table with a foreign key, and fails).
CONNECT_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": True}
JSON_COLUMNS = frozenset({"events", "meta", "payload", "result", "config", "settings", "answer", "episodes",
                          "shown"})


def plain(value: Any, column: str) -> Any:
    """A DuckDB value as JSON-ready Python: timestamps as ISO text, JSON columns parsed, arrays as lists."""
    if isinstance(value, datetime):
        return value.isoformat()
    if column in JSON_COLUMNS and isinstance(value, str):
        return json.loads(value)
    if isinstance(value, tuple):  # FLOAT[n] arrays come back as tuples
        return list(value)
    return value


class Database:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = duckdb.connect(str(self.path), config=CONNECT_CONFIG)
        self._restrict_permissions()
        self.lock = threading.RLock()
        self._closed = False
        self._depth = 0  # open transactions nested in this thread's outermost one
        self._on_commit: list[Callable[[], None]] = []

    def _restrict_permissions(self) -> None:
        """Labels and tokens are the study's data: readable by the app's user only. DuckDB creates its write-ahead
        log with the umask's permissions on the first write after each checkpoint, so every write checks it."""
        for p in (self.path, self.wal_path):
            try:
                if os.stat(p).st_mode & 0o077:
                    os.chmod(p, 0o600)
            except FileNotFoundError:
                pass

    @property
    def wal_path(self) -> Path:
        return self.path.with_name(self.path.name + ".wal")

    # -- queries ------------------------------------------------------------------------------
    def _run(self, sql: str, params: Params) -> duckdb.DuckDBPyConnection:
        cur = self._con.execute(sql, params or [])
        self._restrict_permissions()  # any statement may have written (INSERT ... RETURNING included)
        return cur

    def query(self, sql: str, params: Params = None) -> list[dict[str, Any]]:
        """Rows as dicts of plain values."""
        with self.lock:
            cur = self._run(sql, params)
            if cur.description is None:
                return []
            cols = [d[0] for d in cur.description]
            return [{c: plain(v, c) for c, v in zip(cols, row, strict=True)} for row in cur.fetchall()]

    def one(self, sql: str, params: Params = None) -> dict[str, Any] | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def scalar(self, sql: str, params: Params = None) -> Any:
        with self.lock:
            row = self._run(sql, params).fetchone()
        return row[0] if row else None

    def tuples(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        """Raw rows (for hot paths that build their own structures)."""
        with self.lock:
            return self._run(sql, params).fetchall()

    def execute(self, sql: str, params: Params = None) -> None:
        with self.lock:
            self._run(sql, params)

    def by_id(self, table: str, key: Any, what: str) -> dict[str, Any]:
        row = self.one(f"SELECT * FROM {table} WHERE id = ?", [key])
        if row is None:
            raise NotFound(f"no {what} with id {key!r}")
        return row

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN ... COMMIT under the lock; ROLLBACK when the block raises. A transaction opened inside another
        (a repository's own, inside a domain operation's) joins it: everything commits, or nothing, at the end
        of the outermost one."""
        with self.lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._con.execute("BEGIN TRANSACTION")
            self._depth, self._on_commit = 1, []
            try:
                yield
                self._con.execute("COMMIT")
                self._restrict_permissions()
            except BaseException:
                try:
                    self._con.execute("ROLLBACK")
                except duckdb.Error:  # a failed COMMIT has ended the transaction already
                    pass
                raise
            finally:
                self._depth, done = 0, self._on_commit
                self._on_commit = []
            for callback in done:
                callback()

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads that must agree with each other (a view assembled from several queries): no transaction
        commits between them, so none is seen half applied (say, a round already labelling without its pairs)."""
        with self.lock:
            yield

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once what was just written is committed: at once outside a transaction, else after the
        outermost COMMIT (never, when it rolls back). In-memory mirrors of the tables must not get ahead of them."""
        with self.lock:
            if self._depth:
                self._on_commit.append(callback)
                return
        callback()

    # -- lifecycle ----------------------------------------------------------------------------
    def close(self) -> None:
        """Checkpoint (fold the WAL into the file) and close; safe to call twice."""
        with self.lock:
            if self._closed:
                return
            self._con.execute("CHECKPOINT")
            self._con.close()
            self._closed = True
            self._restrict_permissions()

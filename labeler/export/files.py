"""Writers: JSONL text and typed Parquet.

Parquet is written by DuckDB itself (no pyarrow needed), with an explicit schema so column
types never depend on the data (an all-NULL column stays typed).
"""
from __future__ import annotations

import json
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Sequence

import duckdb
import numpy as np

from pgt_core.atomic import atomic_path, write_atomic


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def jsonl_text(rows: Iterable[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, default=_json_default) + "\n" for r in rows)


def write_jsonl(rows: Iterable[dict[str, Any]], path: str | Path) -> Path:
    return write_atomic(path, jsonl_text(rows))


def write_parquet(rows: Sequence[dict[str, Any]], path: str | Path, columns: dict[str, str]) -> Path:
    """Rows -> Parquet with the given DuckDB column types (via a JSONL staging file, no pyarrow), atomically."""
    path = Path(path)
    spec = "{" + ", ".join(f"'{c}': '{t}'" for c, t in columns.items()) + "}"
    with atomic_path(path) as tmp, tempfile.TemporaryDirectory(dir=tmp.parent, prefix=".tmp-staging-") as staging_dir:
        staging = Path(staging_dir) / "rows.jsonl"
        staging.write_text(jsonl_text({c: r.get(c) for c in columns} for r in rows))
        con = duckdb.connect()
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.execute(
                f"COPY (SELECT * FROM read_json('{_sql_path(staging)}', format = 'newline_delimited', "
                f"columns = {spec})) TO '{_sql_path(tmp)}' (FORMAT parquet)"
            )
        finally:
            con.close()
    return path


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")

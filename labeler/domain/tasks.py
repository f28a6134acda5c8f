"""A stored task row as the pgt_core `Task` that scores episodes (the one conversion)."""
from __future__ import annotations

from typing import Any, Mapping

from pgt_core.tasks import Task


def task_from_row(row: Mapping[str, Any]) -> Task:
    return Task(row["name"], row["achievement"], int(row["max_steps"]), row.get("description") or "")


def task_spec(row: Mapping[str, Any]) -> dict[str, Any]:
    """The task as jobs carry it (workers rebuild the `Task` from it with `task_from_row`)."""
    return {k: row[k] for k in ("id", "name", "achievement", "max_steps", "description")}

"""A stored task row as the pgt_core `Task` that scores episodes (the one conversion), and whether it scores them."""
from __future__ import annotations

from typing import Any, Mapping

from pgt_core.tasks import Task


def task_from_row(row: Mapping[str, Any]) -> Task:
    return Task(row["name"], row["achievement"], int(row["max_steps"]), row.get("description") or "")


def task_spec(row: Mapping[str, Any]) -> dict[str, Any]:
    """The task as jobs carry it (workers rebuild the `Task` from it with `task_from_row`)."""
    return {k: row[k] for k in ("id", "name", "achievement", "max_steps", "description")}


def success_measured(row: Mapping[str, Any]) -> bool:
    """Whether the task's episodes have a success to count: a task created from a prompt clip alone (no
    achievement, no reward function) is judged by people, and success figures of its episodes mean nothing."""
    return bool(row.get("achievement"))

"""Errors the store raises, each with the HTTP status the API answers with.

Why one small hierarchy: the store is used in-process (tests, bootstrap) and over HTTP
(annotators, workers, benchmark); both see the same messages, and the API layer maps an
error to a status without knowing which store method raised it.
"""
from __future__ import annotations


class StoreError(Exception):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(StoreError):
    status_code = 404


class Forbidden(StoreError):
    """The request is someone else's to make (e.g. undoing another person's answer)."""

    status_code = 403


class Conflict(StoreError):
    """The request contradicts what is stored (a second label for a pair, a reused submission id)."""

    status_code = 409


class Invalid(StoreError):
    status_code = 422


class FieldInvalid(Invalid):
    """One field of a request is wrong: answered like a validation error, so a form shows it beside the field."""

    def __init__(self, field: str, message: str, where: str = "config") -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.where, self.reason = field, where, message

    def detail(self) -> list[dict[str, object]]:
        return [{"type": "value_error", "loc": ["body", self.where, self.field], "msg": self.reason}]


class TooLarge(StoreError):
    """The request body is over its route's limit (read no further)."""

    status_code = 413


class StorageUnavailable(StoreError):
    """The disk refused to store a file: nothing was published; try again once there is room.

    507 (Insufficient Storage) for a full disk or quota, 503 for a read-only one."""

    status_code = 507

    def __init__(self, message: str, read_only: bool = False) -> None:
        super().__init__(message)
        if read_only:
            self.status_code = 503

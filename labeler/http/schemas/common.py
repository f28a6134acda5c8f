"""Models shared by every resource."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    """Responses are built from store rows: unknown keys are dropped, missing optional ones are null."""

    model_config = ConfigDict(extra="ignore", from_attributes=True)


class Detail(Model):
    """Every error: `{"detail": "<what is wrong>"}`."""

    detail: Any


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": Detail, "description": what} for code, what in (
        (403, "this route needs a token you did not send"),
        (404, "unknown id"),
        (409, "conflicts with what is stored"),
        (422, "invalid input"),
    )
}

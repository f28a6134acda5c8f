"""Models shared by every resource."""
from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer


class Model(BaseModel):
    """Responses are built from store rows: unknown keys are dropped, missing optional ones are null."""

    model_config = ConfigDict(extra="ignore", from_attributes=True)


class Sparse(Model):
    """A stored JSON document whose keys come and go (a round's result grows step by step): the keys it has are
    typed, the ones it lacks stay absent in the answer instead of turning into nulls, and unknown ones pass."""

    model_config = ConfigDict(extra="allow")

    @model_serializer(mode="wrap")
    def _present_keys_only(self, handler: SerializerFunctionWrapHandler):  # unannotated: the schema stays typed
        return {k: v for k, v in handler(self).items() if k in self.model_fields_set or k in (self.model_extra or {})}


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


def acknowledged(ack: BaseModel, created: bool) -> JSONResponse:
    """An idempotent write's answer: 201 when it stored something, 200 when it was a resend of a stored one."""
    return JSONResponse(ack.model_dump(mode="json"), status_code=201 if created else 200)

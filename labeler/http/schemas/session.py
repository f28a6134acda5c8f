"""Researcher sessions and annotators' invites."""
from __future__ import annotations

from pydantic import BaseModel, Field

from labeler.http.schemas.common import Model


class CodeIn(BaseModel):
    code: str = Field(min_length=1, max_length=200)


class Whoami(Model):
    role: str
    name: str | None = None  # an invited annotator's name


class LoginLink(Model):
    url: str
    expires_in_s: int


class InviteIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)


class Invite(LoginLink):
    name: str

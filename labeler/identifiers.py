"""What an id and a person's name may be: checked wherever one enters (HTTP, the store, the worker).

Ids double as artifact file names, so they are restricted to [A-Za-z0-9_-]. Names of people and
workers are free text within reason: printable, 1-64 characters.
"""
from __future__ import annotations

import re

from labeler.errors import Invalid

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def check_id(value: object, what: str = "id") -> str:
    if not isinstance(value, str) or not ID_RE.match(value):
        raise Invalid(f"invalid {what} {value!r}: use 1-64 characters from A-Z a-z 0-9 _ - (not starting with _ or -)")
    return value


def check_name(name: object, what: str = "annotator") -> str:
    name = name.strip() if isinstance(name, str) else ""
    if not 1 <= len(name) <= 64 or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise Invalid(f"{what} must be 1-64 printable characters")
    return name

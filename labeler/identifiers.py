"""What an id and a person's name may be: checked wherever one enters (HTTP, the store, the worker).

Ids double as artifact file names, so they are restricted to [A-Za-z0-9_-]. Names of people and
workers are free text within reason, normalized so one person is one name: Unicode NFKC, case
folded, whitespace trimmed and collapsed, 1-64 characters, no control or invisible (zero-width,
format) characters.
"""
from __future__ import annotations

import re
import unicodedata

from labeler.errors import Invalid

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def check_id(value: object, what: str = "id") -> str:
    if not isinstance(value, str) or not ID_RE.match(value):
        raise Invalid(f"invalid {what} {value!r}: use 1-64 characters from A-Z a-z 0-9 _ - (not starting with _ or -)")
    return value


def check_name(name: object, what: str = "annotator", fold_case: bool = True) -> str:
    """The normalized name ("  Ann\u00a0Lee " -> "ann lee"); Invalid for anything that is not a name.

    fold_case=False keeps the case (machine names such as a worker's, compared as sent)."""
    if not isinstance(name, str) or any("\ud800" <= c <= "\udfff" for c in name):
        raise Invalid(f"{what} must be text")
    hidden = [c for c in name if unicodedata.category(c) in ("Cc", "Cf") and c not in "\t\n\r"]
    if hidden:
        codes = ", ".join(f"U+{ord(c):04X}" for c in hidden[:3])
        raise Invalid(f"{what} contains control or invisible characters ({codes})")
    normal = unicodedata.normalize("NFKC", name)
    normal = " ".join((normal.casefold() if fold_case else normal).split())
    if not 1 <= len(normal) <= 64:
        raise Invalid(f"{what} must be 1-64 characters")
    return normal


def check_submission_id(value: object) -> str:
    """A client-made id of one answer (a label or an answer to a question): what makes a resend idempotent."""
    if not isinstance(value, str) or not 8 <= len(value) <= 128:
        raise Invalid("submission_id must be a string of 8-128 characters (e.g. a UUID)")
    return value

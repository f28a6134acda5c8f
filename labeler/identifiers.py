"""What an id and a person's name may be: checked wherever one enters (HTTP, the store, the worker).

Ids double as artifact file names, so they are restricted to [A-Za-z0-9_-]. Names of people and
workers are free text within reason, normalized so one person is one name: Unicode NFKC, case
folded, whitespace trimmed and collapsed, 1-64 characters, and nothing that shows as nothing (or
not at all): no control, format, private-use or unassigned characters, none of Unicode's
Default_Ignorable_Code_Point (zero-width characters, fillers such as U+3164, variation selectors,
the combining grapheme joiner) and no blank Braille pattern (U+2800). Otherwise "ann" and "ann"
followed by an invisible character would be two people.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any

from labeler.errors import Invalid

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt), which Python's unicodedata lacks
DEFAULT_IGNORABLE = ((0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
                     (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
                     (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
                     (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF))
BLANK_LOOKING = {0x2800}  # BRAILLE PATTERN BLANK: a symbol that draws nothing
HIDDEN_CATEGORIES = ("Cc", "Cf", "Co", "Cn", "Cs")  # control, format, private use, unassigned, surrogate


def has_lone_surrogate(value: Any) -> bool:
    """A string anywhere in a JSON value holding half a UTF-16 pair (legal in JSON text, not in UTF-8). Walks
    without recursion, so no nesting depth can make it fail."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if any("\ud800" <= c <= "\udfff" for c in item):
                return True
        elif isinstance(item, dict):
            stack += [*item.keys(), *item.values()]
        elif isinstance(item, list):
            stack += item
    return False


def is_invisible(c: str) -> bool:
    code = ord(c)
    return (unicodedata.category(c) in HIDDEN_CATEGORIES or code in BLANK_LOOKING
            or any(lo <= code <= hi for lo, hi in DEFAULT_IGNORABLE))


def check_id(value: object, what: str = "id") -> str:
    if not isinstance(value, str) or not ID_RE.match(value):
        raise Invalid(f"invalid {what} {value!r}: use 1-64 characters from A-Z a-z 0-9 _ - (not starting with _ or -)")
    return value


def check_name(name: object, what: str = "annotator", fold_case: bool = True) -> str:
    """The normalized name ("  Ann\u00a0Lee " -> "ann lee"); Invalid for anything that is not a name.

    fold_case=False keeps the case (machine names such as a worker's, compared as sent)."""
    if not isinstance(name, str) or has_lone_surrogate(name):
        raise Invalid(f"{what} must be text")
    normal = unicodedata.normalize("NFKC", name)
    hidden = [c for c in name + normal if is_invisible(c) and c not in "\t\n\r"]
    if hidden:
        codes = ", ".join(dict.fromkeys(f"U+{ord(c):04X}" for c in hidden))
        raise Invalid(f"{what} contains control or invisible characters ({codes[:40]})")
    normal = " ".join((normal.casefold() if fold_case else normal).split())
    if not 1 <= len(normal) <= 64:
        raise Invalid(f"{what} must be 1-64 characters")
    return normal


def check_submission_id(value: object) -> str:
    """A client-made id of one answer (a label or an answer to a question): what makes a resend idempotent."""
    if not isinstance(value, str) or not 8 <= len(value) <= 128:
        raise Invalid("submission_id must be a string of 8-128 characters (e.g. a UUID)")
    return value

"""Free text submitted by callers (reasons, notes, statements, references): one cleaning rule."""

from __future__ import annotations

import re

from credit.errors import InvalidRequest

MAX_TEXT = 2000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str | None, name: str, *, required: bool, max_length: int = MAX_TEXT) -> str | None:
    """The stripped text; InvalidRequest naming the field (never echoing the value) when it is bad."""
    if value is None or not value.strip():
        if required:
            raise InvalidRequest(f"{name} must not be empty")
        return None
    text = value.strip()
    if len(text) > max_length:
        raise InvalidRequest(f"{name} must be at most {max_length} characters")
    if _CONTROL.search(text):
        raise InvalidRequest(f"{name} contains control characters")
    return text


def required_text(value: str | None, name: str, *, max_length: int = MAX_TEXT) -> str:
    text = clean_text(value, name, required=True, max_length=max_length)
    assert text is not None
    return text

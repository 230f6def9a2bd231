"""Helpers shared by the loaders of the rule tables: comments and readable validation errors."""

from __future__ import annotations

from pydantic import ValidationError


def without_comments(entry: object) -> object:
    """`entry` without the keys starting with "_" (comments in the JSON tables), at every depth."""
    if isinstance(entry, dict):
        return {key: without_comments(value) for key, value in entry.items() if not str(key).startswith("_")}
    if isinstance(entry, list):
        return [without_comments(item) for item in entry]
    return entry


def validation_summary(exc: ValidationError) -> str:
    """A one-line summary of a pydantic error: each failing field, the problem and the value."""
    parts = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in error["loc"])
        text = f"{where}: {error['msg']}" if where else str(error["msg"])
        value = error.get("input")
        if isinstance(value, (str, int, float)) and error["type"] != "missing":
            text += f" (got {value!r})"
        parts.append(text)
    return "; ".join(parts)

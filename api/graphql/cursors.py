"""Opaque Relay cursors: base64url JSON of the keyset values with a kind tag."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

import orjson

from api.graphql.errors import BadUserInput

MAX_FIRST = 100


def encode(kind: str, values: list[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([kind, *values])).decode().rstrip("=")


def decode(kind: str, cursor: str, arity: int) -> list[Any]:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        raise BadUserInput("unknown cursor") from None
    if not isinstance(data, list) or len(data) != arity + 1 or data[0] != kind:
        raise BadUserInput("unknown cursor")
    return list(data[1:])


def check_first(first: int) -> int:
    if first < 1 or first > MAX_FIRST:
        raise BadUserInput(f"first must be between 1 and {MAX_FIRST}")
    return first


@dataclass(frozen=True, slots=True)
class Paging:
    """Which way a connection pages (Relay's first/after or last/before) and how many."""

    size: int
    backwards: bool


def paging_of(first: int | None, after: str | None, last: int | None, before: str | None) -> Paging:
    """Forwards with `first` (its default when none) after `after`; backwards with `last` before
    `before`. `after` and `before` together are BAD_USER_INPUT; with `last`, `first` is ignored."""
    if after is not None and before is not None:
        raise BadUserInput("give after or before, not both")
    if last is not None or before is not None:
        size = last if last is not None else first if first is not None else 20
        if size < 1 or size > MAX_FIRST:
            raise BadUserInput(f"last must be between 1 and {MAX_FIRST}")
        return Paging(size, backwards=True)
    return Paging(check_first(20 if first is None else first), backwards=False)

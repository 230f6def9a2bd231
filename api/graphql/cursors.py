"""Opaque Relay cursors: base64url JSON of the keyset values with a kind tag."""

from __future__ import annotations

import base64
import binascii
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

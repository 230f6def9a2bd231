"""Relay's global object identification: the `Node` interface and opaque global ids.

A global id is the standard base64 of `Type:number` (`Subject:7485` → `U3ViamVjdDo3NDg1`), the form
Relay and its caches expect; `node(id:)` fetches any of them again (api/graphql/nodes.py). Every `ID`
argument also takes the plain number these objects had as `id` before (the `databaseId` field), so
clients that stored numbers keep working; a global id of another type is refused by name.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Final

import strawberry

from api.graphql.errors import BadUserInput, NotFound

NODE_TYPES: Final = ("Subject", "CreditRecord", "Objection", "CreditRepair")
_GLOBAL = re.compile(r"(?P<type>[A-Z][A-Za-z]{0,40}):(?P<id>[1-9]\d{0,18})")
_MAX_ID = 2**63


def global_id(type_name: str, number: int) -> strawberry.ID:
    return strawberry.ID(base64.b64encode(f"{type_name}:{number}".encode()).decode())


def parse_global_id(value: object) -> tuple[str, int] | None:
    """(type, number) of a well-formed global id; None for anything else (a plain number included)."""
    text = str(value).strip()
    if not text or text.isdigit() or len(text) > 100:
        return None
    try:
        decoded = base64.b64decode(text + "=" * (-len(text) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    match = _GLOBAL.fullmatch(decoded)
    if match is None or int(match["id"]) >= _MAX_ID:
        return None
    return match["type"], int(match["id"])


def id_argument(value: object, name: str, type_name: str) -> int:
    """The number of an `ID` argument naming a `type_name`: its global id or, as before global ids, the
    plain number. BAD_USER_INPUT naming the argument for anything else; NOT_FOUND for another type's
    global id (a CreditRecord's id given as a Subject's says so, instead of finding nothing)."""
    text = str(value).strip()
    if text.isdigit():  # also "²" and 5,000 digits, which int() refuses: only ASCII, at most 19 digits
        if not text.isascii() or len(text) > 19 or not 1 <= (number := int(text)) < _MAX_ID:
            raise BadUserInput(f"{name} is not a valid id")
        return number
    parsed = parse_global_id(text)
    if parsed is None:
        raise BadUserInput(f"{name} is not a valid id")
    found_type, number = parsed
    if found_type != type_name:
        raise NotFound(f"{name} is the id of a {found_type}, not of a {type_name}")
    return number


@strawberry.interface(
    description="An object with a global id (Relay's object identification): node(id:) fetches it again."
)
class Node:
    @strawberry.field(description="Opaque global id (base64 of Type:number); every id argument also takes the number.")
    def id(self) -> strawberry.ID:
        raise NotImplementedError  # each type answers its own

    @strawberry.field(
        description="The plain number this object had as `id` before global ids (as in exports); accepted "
        "wherever an id is."
    )
    def database_id(self) -> strawberry.ID:
        raise NotImplementedError

"""Subject identifiers: 统一社会信用代码 (USCC, GB 32100-2015) and resident ID numbers (GB 11643-1999).

Validation is python-stdnum's; this module only decides which rule applies to which subject kind
and turns stdnum's exceptions into messages a data provider can act on.
"""

from __future__ import annotations

from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError

from credit.enums import SubjectKind


class InvalidIdentifier(ValueError):
    """An identifier that fails its standard's checks; the message never repeats the raw value."""


_REASONS: dict[type[ValidationError], str] = {
    InvalidChecksum: "check character does not match",
    InvalidLength: "must be 18 characters",
    InvalidFormat: "contains characters the standard does not allow",
    InvalidComponent: "contains an impossible region code or date",
}


def _reason(exc: ValidationError) -> str:
    for kind, text in _REASONS.items():
        if isinstance(exc, kind):
            return text
    return "is not valid"


def normalize_uscc(value: str) -> str:
    try:
        return str(uscc.validate(value.strip().upper()))
    except ValidationError as exc:
        raise InvalidIdentifier(f"统一社会信用代码 {_reason(exc)}") from None


def normalize_resident_id(value: str) -> str:
    try:
        return str(ric.validate(value.strip().upper()))
    except ValidationError as exc:
        raise InvalidIdentifier(f"resident ID number {_reason(exc)}") from None


def normalize_code(kind: SubjectKind, value: str) -> str:
    """Validate and canonicalise the code of a subject of the given kind."""
    if kind is SubjectKind.NATURAL_PERSON:
        return normalize_resident_id(value)
    return normalize_uscc(value)


def normalize_any_code(value: str) -> str | None:
    """Canonical form of a USCC or resident ID number, or None when it is neither."""
    candidate = value.strip().upper()
    for rule in (uscc, ric):
        try:
            return str(rule.validate(candidate))
        except ValidationError:
            continue
    return None


def is_resident_id(value: str) -> bool:
    return bool(ric.is_valid(value))

"""Subject identifiers: 统一社会信用代码 (USCC, GB 32100-2015) and resident ID numbers (GB 11643-1999).

Every check here answers (a canonical value, None, False, or `InvalidIdentifier`) and never raises
anything else, whatever the input: codes come from the public (`subject(code:)`, `searchSubjects`)
and from data providers.

python-stdnum does the USCC check, the ID number's check digit and date parsing; two of its answers
are wrapped rather than trusted:

- `stdnum.cn.ric.validate` raises `KeyError('county')` instead of `InvalidComponent` when the first six
  digits name an entry of its division table that has no county, e.g. the valid USCC of an agency
  `113307811104157685` (its digits pass the ID number's check digit and read as the date 8111-04-15,
  so `ric.is_valid` reaches the place look-up and crashes). No report of it was found in
  python-stdnum's tracker when this was written; `ric` is therefore not called for the place at all.
- `stdnum.cn.ric` requires the address code to have been in use in the holder's birth year. GB 11643
  makes it the code of the county where the holder's residence was registered when the number was
  *first coded*, which can be years after the birth (a person born in 1978 in 溧阳, coded after 1990,
  has 320481, a code created in 1990), and numbers keep codes abolished since. python-stdnum issue
  #442 ("Incorrect validation results for Chinese ID cards, some specific area codes cannot pass
  validation": numbers starting 412723, a code abolished in 2000, refused for people born after it)
  is the same strictness seen from the other side. Here an address code is accepted when the
  division table (`credit.subjects.regions`, the history of every code) has had it at any time; the
  rare number whose code was abolished before its holder was born is accepted with a warning
  (`ResidentIdCheck.warnings`), for the data provider to look at.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError

from credit import clock
from credit.enums import SubjectKind
from credit.subjects.regions import county_periods

#: The earliest birth year an ID number may carry. The first numbers were coded in 1984-1985, for
#: people alive then; a year before this is a typing error, not a person.
MIN_BIRTH_YEAR: Final = 1880

# Longest input looked at: a code with separators is at most a few dozen characters; anything longer
# is refused before any library sees it.
_MAX_INPUT: Final = 64

ABOLISHED_BEFORE_BIRTH: Final = (
    "resident ID number: its address code was abolished before the holder's birth year "
    "(GB 11643: the code of the county where the number was first coded); imported as given"
)


class InvalidIdentifier(ValueError):
    """An identifier that fails its standard's checks; the message never repeats the raw value."""


@dataclass(frozen=True, slots=True)
class ResidentIdCheck:
    """A resident ID number that passed the checks: its canonical form and what looks inconsistent."""

    number: str
    warnings: tuple[str, ...] = ()


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


def _compact(value: str) -> str:
    """Spaces and hyphens dropped, upper case; a string too long to be a code is refused whole."""
    if not isinstance(value, str) or len(value) > _MAX_INPUT:
        return ""
    return "".join(value.split()).replace("-", "").upper()


def normalize_uscc(value: str) -> str:
    number = _compact(value)
    try:
        return str(uscc.validate(number))
    except ValidationError as exc:
        raise InvalidIdentifier(f"统一社会信用代码 {_reason(exc)}") from None
    except (LookupError, ValueError, TypeError):  # never seen; stdnum answers with exceptions elsewhere
        raise InvalidIdentifier("统一社会信用代码 is not valid") from None


def _birth_date(number: str) -> dt.date | None:
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def check_resident_id(value: str, today: dt.date | None = None) -> ResidentIdCheck:
    """The canonical form of a resident ID number as GB 11643 has it, with its warnings.

    Checks: 17 digits and a check character (digit or X) that matches (stdnum's MOD 11-2), a real
    birth date neither in the future nor before `MIN_BIRTH_YEAR`, and an address code the division
    table has had at some time. InvalidIdentifier otherwise."""
    number = _compact(value)
    if len(number) != 18:
        raise InvalidIdentifier(f"resident ID number {_REASONS[InvalidLength]}")
    if not (number[:17].isascii() and number[:17].isdigit() and (number[17] == "X" or number[17].isdigit())):
        raise InvalidIdentifier(f"resident ID number {_REASONS[InvalidFormat]}")
    if ric.calc_check_digit(number) != number[17]:
        raise InvalidIdentifier(f"resident ID number {_REASONS[InvalidChecksum]}")
    born = _birth_date(number)
    if born is None or born.year < MIN_BIRTH_YEAR or born > (today or clock.today()):
        raise InvalidIdentifier("resident ID number contains an impossible birth date")
    periods = county_periods(number[:6])
    if not periods:
        raise InvalidIdentifier("resident ID number contains an address code that is no division code")
    warnings: list[str] = []
    if all(period.end is not None and period.end < born.year for period in periods):
        warnings.append(ABOLISHED_BEFORE_BIRTH)
    return ResidentIdCheck(number, tuple(warnings))


def normalize_resident_id(value: str) -> str:
    return check_resident_id(value).number


def normalize_code(kind: SubjectKind, value: str) -> str:
    """Validate and canonicalise the code of a subject of the given kind."""
    if kind is SubjectKind.NATURAL_PERSON:
        return normalize_resident_id(value)
    return normalize_uscc(value)


def code_warnings(kind: SubjectKind, value: str) -> tuple[str, ...]:
    """What looks inconsistent in a valid code (only resident ID numbers have such warnings)."""
    if kind is not SubjectKind.NATURAL_PERSON:
        return ()
    try:
        return check_resident_id(value).warnings
    except InvalidIdentifier:
        return ()


def is_uscc(value: str) -> bool:
    try:
        normalize_uscc(value)
    except InvalidIdentifier:
        return False
    return True


def is_resident_id(value: str) -> bool:
    try:
        check_resident_id(value)
    except InvalidIdentifier:
        return False
    return True


def normalize_any_code(value: str) -> str | None:
    """Canonical form of a USCC or resident ID number, or None when it is neither.

    Both canonical forms are the compacted, upper-case input, so a code valid as both (all digits,
    both check characters matching: rare, but `11…` agencies can be) has one canonical form;
    `is_uscc` and `is_resident_id` then both hold and callers decide by the subject found."""
    for check in (normalize_uscc, normalize_resident_id):
        try:
            return check(value)
        except InvalidIdentifier:
            continue
    return None


def individual_business(code: str) -> bool:
    """Whether a 统一社会信用代码 is a 个体工商户's (GB 32100-2015: registration authority 9, 工商, and
    kind 2, 个体工商户). Its operator (经营者) is a natural person in business (《民法典》 第五十四条)."""
    return code.strip().upper().startswith("92")

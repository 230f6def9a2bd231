"""Validated input of the NDJSON import and of `upsertRecords` (CONTRACT.md), one model per line type.

Messages name the field and the rule broken, never the offending value (it may be personal data).
Both paths share every rule here: text without controls, bidi overrides or nothing visible
(`credit.text`), dates within bounds (`credit.rules.terms`; the day to judge by comes in the
validation context as `today`, else China's day), and a `content` object bounded in depth, size and
number range (`content_problem`), so what is accepted can always be hashed, stored, cached and sent.
A line is parsed once more with `json` to refuse duplicate keys, which pydantic silently collapses.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from typing import Annotated, Any, Literal

import orjson
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from credit import clock
from credit.enums import RecordCategory, RecordStatus, Severity, SubjectKind
from credit.rules.facts import RecordFacts
from credit.rules.listings import term_problem
from credit.rules.terms import decision_date_problem, validity_problem
from credit.rules.vocabulary import check_content
from credit.subjects.identifiers import InvalidIdentifier, normalize_any_code, normalize_code
from credit.text import text_problem

_REGION = re.compile(r"^\d{6}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")

#: `content` nests at most this many objects and arrays (the object itself is level 1). The rules
#: read keys at level 1; deeper structure is the provider's, and unbounded nesting breaks every
#: reader that recurses (JSON encoders stop at a few hundred levels).
MAX_CONTENT_DEPTH = 8
#: `content` is at most this many bytes as compact UTF-8 JSON: it is cached with its subject's profile
#: and sent with every record, so one record cannot make a subject's every read heavy.
MAX_CONTENT_BYTES = 32 * 1024
#: Integers in `content` are within ±(2**53 - 1): every JSON reader (JavaScript's numbers, the
#: encoders used for hashing and caching, 64-bit at most) reads them exactly. Send larger ones as strings.
MAX_CONTENT_INTEGER = 2**53 - 1


def _clean_text(value: str) -> str:
    stripped = value.strip()
    if not stripped:
        raise ValueError("must not be empty")
    problem = text_problem(stripped)
    if problem is not None:
        raise ValueError(problem)
    return stripped


def _string_problem(value: str) -> str | None:
    if _CONTROL.search(value):
        return "contains control characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode (a lone surrogate)"
    problem = text_problem(value)
    return problem if problem is not None and "visible" not in problem else None


def content_problem(content: dict[str, Any]) -> str | None:
    """Why `content` may not be stored (None when it may): too deep, too large, an integer out of
    range, NaN or infinity, or a string or key with controls. Iterative, so no input can exhaust
    the stack."""
    stack: list[tuple[object, int]] = [(content, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_CONTENT_DEPTH:
                return f"nested deeper than {MAX_CONTENT_DEPTH} levels"
            if isinstance(item, dict):
                for key, value in item.items():
                    if (problem := _string_problem(str(key))) is not None:
                        return f"a key {problem}"
                    stack.append((value, depth + 1))
            else:
                stack.extend((value, depth + 1) for value in item)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if abs(item) > MAX_CONTENT_INTEGER:
                return f"an integer is outside ±{MAX_CONTENT_INTEGER} (2^53 - 1); send larger numbers as strings"
        elif isinstance(item, float):
            if not math.isfinite(item):
                return "a number is NaN or infinite"
        elif isinstance(item, str):
            if (problem := _string_problem(item)) is not None:
                return f"a string {problem}"
        else:
            return "holds a value that is not JSON"
    size = len(orjson.dumps(content))
    if size > MAX_CONTENT_BYTES:
        return f"{size} bytes as JSON, more than {MAX_CONTENT_BYTES}"
    return None


def _today(info: ValidationInfo) -> dt.date:
    context = info.context if isinstance(info.context, dict) else {}
    today = context.get("today")
    return today if isinstance(today, dt.date) else clock.today()


Text = Annotated[str, Field(min_length=1, max_length=500)]
LongText = Annotated[str, Field(min_length=1, max_length=2000)]


class _Line(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True, strict=True)


class SubjectInput(_Line):
    type: Literal["subject"] = "subject"
    kind: SubjectKind
    code: Annotated[str, Field(min_length=1, max_length=40)]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    former_names: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, alias="formerNames", max_length=20
    )
    region_code: str | None = Field(default=None, alias="regionCode")
    legal_representative: Annotated[str, Field(max_length=100)] | None = Field(
        default=None, alias="legalRepresentative"
    )
    registered_on: dt.date | None = Field(default=None, alias="registeredOn")
    address: Annotated[str, Field(max_length=300)] | None = None
    phone: Annotated[str, Field(max_length=40)] | None = None

    @field_validator("name", "legal_representative", "address", "phone")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return None if value is None else _clean_text(value)

    @field_validator("former_names")
    @classmethod
    def _former(cls, value: list[str]) -> list[str]:
        return [_clean_text(v) for v in value]

    @field_validator("region_code")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        if value is not None and not _REGION.match(value):
            raise ValueError("must be a 6-digit administrative division code")
        return value

    @model_validator(mode="after")
    def _registered(self, info: ValidationInfo) -> SubjectInput:
        if self.registered_on is not None:
            problem = decision_date_problem("registeredOn", self.registered_on, _today(info))
            if problem is not None:
                raise ValueError(problem)
        return self

    @model_validator(mode="after")
    def _code_for_kind(self) -> SubjectInput:
        try:
            canonical = normalize_code(self.kind, self.code)
        except InvalidIdentifier as exc:
            raise ValueError(f"code: {exc}") from None
        object.__setattr__(self, "code", canonical)
        if self.kind is not SubjectKind.NATURAL_PERSON and self.phone is not None:
            raise ValueError("phone is only recorded for natural persons")
        return self


class RecordInput(_Line):
    type: Literal["record"] = "record"
    source_id: Annotated[str, Field(min_length=1, max_length=100)] = Field(alias="sourceId")
    authority: Annotated[str, Field(min_length=1, max_length=200)]
    subject_code: Annotated[str, Field(min_length=1, max_length=40)] = Field(alias="subjectCode")
    category: RecordCategory
    title: LongText
    decision_number: Annotated[str, Field(max_length=200)] | None = Field(default=None, alias="decisionNumber")
    decided_on: dt.date = Field(alias="decidedOn")
    published_on: dt.date | None = Field(default=None, alias="publishedOn")
    severity: Severity | None = None
    list_name: Annotated[str, Field(max_length=200)] | None = Field(default=None, alias="listName")
    valid_from: dt.date | None = Field(default=None, alias="validFrom")
    valid_until: dt.date | None = Field(default=None, alias="validUntil")
    content: dict[str, Any] | None = None
    # 失信被执行人 only (credit.rules.listings): the ground, and the court's deletion of the listing.
    listing_ground: Annotated[int, Field(ge=1, le=6)] | None = Field(default=None, alias="listingGround")
    deleted_on: dt.date | None = Field(default=None, alias="deletedOn")
    deletion_reason: Annotated[str, Field(max_length=500)] | None = Field(default=None, alias="deletionReason")

    @field_validator("source_id", "authority", "title", "decision_number", "list_name", "deletion_reason")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return None if value is None else _clean_text(value)

    @field_validator("subject_code")
    @classmethod
    def _subject_code(cls, value: str) -> str:
        canonical = normalize_any_code(value)
        if canonical is None:
            raise ValueError("is neither a valid 统一社会信用代码 nor a valid resident ID number")
        return canonical

    @field_validator("content")
    @classmethod
    def _bounded_content(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None and (problem := content_problem(value)) is not None:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _dates(self, info: ValidationInfo) -> RecordInput:
        today = _today(info)
        for name, value in (
            ("decidedOn", self.decided_on),
            ("publishedOn", self.published_on),
            ("deletedOn", self.deleted_on),
        ):
            if value is not None and (problem := decision_date_problem(name, value, today)) is not None:
                raise ValueError(problem)
        if self.published_on is not None and self.published_on < self.decided_on:
            raise ValueError("publishedOn is before decidedOn")
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValueError("validUntil is before validFrom")
        if self.severity is not None and self.category is not RecordCategory.ADMINISTRATIVE_PENALTY:
            raise ValueError("severity applies to ADMINISTRATIVE_PENALTY records only")
        self._court_listing()
        if self.category is not RecordCategory.DISHONEST_JUDGMENT_DEBTOR and (
            problem := validity_problem(self._facts())
        ):
            raise ValueError(problem)
        return self

    def _facts(self) -> RecordFacts:
        return RecordFacts(
            id=0,
            category=self.category,
            status=RecordStatus.ACTIVE,
            decided_on=self.decided_on,
            published_on=self.published_on or self.decided_on,
            severity=self.severity,
            list_name=self.list_name,
            valid_from=self.valid_from,
            valid_until=self.valid_until,
            content=self.content,
        )

    def _court_listing(self) -> None:
        court = self.category is RecordCategory.DISHONEST_JUDGMENT_DEBTOR
        for value, name in ((self.listing_ground, "listingGround"), (self.deleted_on, "deletedOn")):
            if value is not None and not court:
                raise ValueError(f"{name} applies to DISHONEST_JUDGMENT_DEBTOR records only")
        if court and (problem := term_problem(self.decided_on, self.valid_until, self.listing_ground)):
            raise ValueError(problem)
        if (self.deleted_on is None) != (self.deletion_reason is None):
            raise ValueError("deletedOn and deletionReason come together (法释〔2017〕7号 第十条)")
        if self.deleted_on is not None and self.deleted_on < self.decided_on:
            raise ValueError("deletedOn is before decidedOn")

    @model_validator(mode="after")
    def _content(self) -> RecordInput:
        # The keys of `content` the rules read are enumerated: an unknown value is an error, never a
        # silent default (`credit.rules.vocabulary`).
        check_content(self.category, self.content)
        return self


Line = Annotated[SubjectInput | RecordInput, Field(discriminator="type")]
_LINE = TypeAdapter(Line)


class InputError(ValueError):
    """A line or an input object that fails validation; `str()` is safe to show to its sender."""


def describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False, include_input=False):
        path = [str(p) for p in err["loc"]]
        if path and path[0] in ("subject", "record"):
            path = path[1:]
        loc = ".".join(path)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "json_invalid":
            return "malformed JSON: nested too deeply" if "recursion" in err["msg"] else "malformed JSON"
        if err["type"] == "union_tag_invalid" or err["type"] == "union_tag_not_found":
            return 'type must be "subject" or "record"'
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts)


class _DuplicateKey(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _refuse_constant(name: str) -> None:
    raise ValueError(name)


def _check_json(raw: bytes | str) -> None:
    """Refuse what pydantic's parser accepts silently: a key twice in one object (the last one would
    win, so a line could say two things), and text that is not UTF-8."""
    try:
        json.loads(raw, object_pairs_hook=_unique_keys, parse_constant=_refuse_constant)
    except _DuplicateKey as exc:
        key = str(exc.args[0])
        # A field name is shown; any other key (it may be personal data) is not.
        shown = f'"{key}"' if _FIELD_NAME.match(key) else "a key"
        raise InputError(f"duplicate key: {shown} appears twice in one object") from None
    except UnicodeDecodeError:
        raise InputError("not valid UTF-8") from None
    except RecursionError:
        raise InputError("malformed JSON: nested too deeply") from None
    except ValueError:
        raise InputError("malformed JSON") from None


def parse_line(raw: bytes | str, *, today: dt.date | None = None) -> SubjectInput | RecordInput:
    """One NDJSON line, judged on `today` (China's day by default)."""
    _check_json(raw)
    try:
        return _LINE.validate_json(raw, context={"today": today or clock.today()})
    except ValidationError as exc:
        raise InputError(describe(exc)) from None


def parse_record(data: dict[str, Any], *, today: dt.date | None = None) -> RecordInput:
    """A record from an already-decoded object (GraphQL input), with the same rules as the import."""
    try:
        return RecordInput.model_validate(
            {**data, "type": "record"}, strict=False, context={"today": today or clock.today()}
        )
    except ValidationError as exc:
        raise InputError(describe(exc)) from None

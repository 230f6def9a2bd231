"""Validated input of the NDJSON import and of `upsertRecords` (CONTRACT.md), one model per line type.

Messages name the field and the rule broken, never the offending value (it may be personal data).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator, model_validator

from credit.enums import RecordCategory, Severity, SubjectKind
from credit.rules.listings import term_problem
from credit.rules.vocabulary import check_content
from credit.subjects.identifiers import InvalidIdentifier, normalize_any_code, normalize_code

_REGION = re.compile(r"^\d{6}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean_text(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("contains control characters")
    stripped = value.strip()
    if not stripped:
        raise ValueError("must not be empty")
    return stripped


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

    @model_validator(mode="after")
    def _dates(self) -> RecordInput:
        if self.published_on is not None and self.published_on < self.decided_on:
            raise ValueError("publishedOn is before decidedOn")
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValueError("validUntil is before validFrom")
        if self.severity is not None and self.category is not RecordCategory.ADMINISTRATIVE_PENALTY:
            raise ValueError("severity applies to ADMINISTRATIVE_PENALTY records only")
        self._court_listing()
        return self

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
            return "malformed JSON"
        if err["type"] == "union_tag_invalid" or err["type"] == "union_tag_not_found":
            return 'type must be "subject" or "record"'
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts)


def parse_line(raw: bytes | str) -> SubjectInput | RecordInput:
    try:
        return _LINE.validate_json(raw)
    except ValidationError as exc:
        raise InputError(describe(exc)) from None


def parse_record(data: dict[str, Any]) -> RecordInput:
    """A record from an already-decoded object (GraphQL input), with the same rules as the import."""
    try:
        return RecordInput.model_validate({**data, "type": "record"}, strict=False)
    except ValidationError as exc:
        raise InputError(describe(exc)) from None

"""Who decides about a record (谁认定、谁负责): the decision table, as data.

For each category the table (`credit/rules/data/decisions.json`, each row with its source) says who
answers an objection, decides a credit repair or removes the record — the record's authority
(认定单位), through a key bound to it — and what the credit office may do about the records of other
bodies: DECIDE (it may decide, and submit records of the category) or TRACK (it sees, tracks and
refers objections to the authority, and decides nothing: a court's 失信被执行人 listing is the
court's, 法释〔2017〕7号).
"""

from __future__ import annotations

import functools
import json
from enum import StrEnum
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from credit.enums import RecordCategory
from credit.rules.loading import validation_summary


class DecisionTableError(ValueError):
    """The decision table is unreadable or incomplete; the message names the entry."""


class DecidedBy(StrEnum):
    AUTHORITY = "AUTHORITY"


class OfficeRole(StrEnum):
    DECIDE = "DECIDE"
    TRACK = "TRACK"


class Decision(BaseModel):
    """One row: who decides about the records of a category."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    category: RecordCategory
    decided_by: DecidedBy
    office: OfficeRole
    source: str = Field(min_length=1)


def parse_decisions(document: object, source: str = "<decisions>") -> dict[RecordCategory, Decision]:
    """Validate a decoded table: one row per category, every category present."""
    if not isinstance(document, dict) or not isinstance(document.get("decisions"), list):
        raise DecisionTableError(f"{source}: 'decisions' must be a list")
    rows: dict[RecordCategory, Decision] = {}
    for index, entry in enumerate(document["decisions"]):
        try:
            row = Decision.model_validate(entry)
        except ValidationError as exc:
            raise DecisionTableError(f"{source}: decisions[{index}]: {validation_summary(exc)}") from None
        if row.category in rows:
            raise DecisionTableError(f"{source}: decisions[{index}]: {row.category.value} appears twice")
        rows[row.category] = row
    missing = [c.value for c in RecordCategory if c not in rows]
    if missing:
        raise DecisionTableError(f"{source}: no row for {missing}")
    return rows


@functools.cache
def decision_table() -> dict[RecordCategory, Decision]:
    text = resources.files("credit.rules").joinpath("data", "decisions.json").read_text(encoding="utf-8")
    return parse_decisions(json.loads(text), "credit/rules/data/decisions.json")


def decision_for(category: RecordCategory) -> Decision:
    return decision_table()[category]


def office_decides(category: RecordCategory) -> bool:
    """Whether the credit office may decide about (and submit) records of other bodies in `category`."""
    return decision_for(category).office is OfficeRole.DECIDE

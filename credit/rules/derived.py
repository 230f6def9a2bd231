"""Everything derived about a subject from its facts and a day, in one place.

The profile (API) and the search document (indexer) both call `derive_subject`, so a value shown in
a profile and the field the index filters on come from the same function: a new derived value is a
field here, one line in the document builder and one GraphQL field.

Pass *all* the subject's records, not only those in public disclosure: measures earned over time
(三年无不良信用记录, `credit.rules.history`) depend on records whose disclosure has ended. Only
records in force bring flags, so nothing outside public disclosure is shown through them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from credit.enums import RecordCategory
from credit.rules.facts import RecordFacts, SubjectFacts
from credit.rules.flags import FlagSet, derive_flags, in_public_disclosure, next_time_boundary


@dataclass(frozen=True, slots=True)
class SubjectState:
    """A subject on one day: the measures in force, held and suspended, the records to withdraw, the
    categories it is disclosed under, and the next day on which this changes by itself (None:
    nothing scheduled)."""

    flags: FlagSet
    categories: tuple[RecordCategory, ...]
    next_boundary: date | None

    @property
    def has_active_punishment(self) -> bool:
        return self.flags.has_active_punishment


def derive_subject(records: Sequence[RecordFacts], today: date, subject: SubjectFacts) -> SubjectState:
    return SubjectState(
        flags=derive_flags(records, today, subject),
        categories=tuple(sorted({r.category for r in records if in_public_disclosure(r, today)})),
        next_boundary=next_time_boundary(records, today, subject),
    )

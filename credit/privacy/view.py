"""How one viewer reads free text: as written, cleaned, or withheld.

- The subject itself, the record's deciding bodies and the credit office read a record's texts as
  written (`credit.access.policy.reads_text_in_full`).
- Everyone else (PUBLIC, JOURNALIST, banks, other providers, other subjects) reads them cleaned by
  the subject's `Redactor`: titles, decision numbers, authorities, list names, deletion reasons,
  replies' authors, subjects' names, former names and legal representatives (a 个体工商户's operator
  masked as a natural person: 张*).
- What the subject wrote itself — an objection's reason, a repair application's statement — is not
  shown to them at all (`WITHHELD`): it was addressed to the deciding body (seed 003: 異議申請 to the
  認定部門 or the platform), not published, and 《个人信息保护法》 第二十五条 forbids publishing personal
  information without the person's separate consent. No review makes it public.

The public feeds (exports, Atom, `repairCommitments`) are the same for every reader and always cleaned
(`clean`), since shared caches may keep them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from credit.access.policy import Capability, can, reads_text_in_full
from credit.access.viewer import Viewer
from credit.enums import SubjectKind
from credit.models import CreditRecord, Subject
from credit.platform.crypto import Vault
from credit.privacy.redactor import Redactor, clean_generic, redactor_of
from credit.subjects.identifiers import individual_business
from credit.subjects.masking import mask_name

#: What a reader who may not read a subject's own text gets in its place.
WITHHELD: Final = "（不公开）"


@dataclass(frozen=True, slots=True)
class RecordTexts:
    """A record's free text as one viewer reads it."""

    title: str
    decision_number: str | None
    authority: str
    list_name: str | None
    deletion_reason: str | None


@dataclass(frozen=True, slots=True)
class SubjectTexts:
    """A subject's names as one viewer reads them."""

    name: str
    former_names: list[str]
    legal_representative: str | None


def record_texts(record: CreditRecord, clean: Redactor) -> RecordTexts:
    return RecordTexts(
        title=clean(record.title),
        decision_number=clean.optional(record.decision_number),
        authority=clean(record.authority),
        list_name=clean.optional(record.list_name),
        deletion_reason=clean.optional(record.deletion_reason),
    )


def subject_texts(subject: Subject, clean: Redactor) -> SubjectTexts:
    representative = subject.legal_representative
    if representative and individual_business(subject.code):
        representative = mask_name(representative)  # the operator of a 个体工商户: a natural person
    return SubjectTexts(
        name=clean(subject.name),
        former_names=[clean(former) for former in subject.former_names],
        legal_representative=clean.optional(representative),
    )


class TextView:
    """The free text of records, objections, repairs and subjects as `viewer` reads it."""

    def __init__(self, vault: Vault, viewer: Viewer) -> None:
        self.vault = vault
        self.viewer = viewer

    def in_full(self, record: CreditRecord) -> bool:
        return reads_text_in_full(self.viewer, record.subject_id, record.authority, record.category)

    def redactor(self, subject: Subject) -> Redactor:
        return redactor_of(self.vault, subject)

    def record(self, record: CreditRecord, subject: Subject | None) -> RecordTexts:
        """The record's texts; `subject` (its row) is needed unless the viewer reads them in full."""
        if self.in_full(record):
            return RecordTexts(
                record.title, record.decision_number, record.authority, record.list_name, record.deletion_reason
            )
        if subject is None or subject.id != record.subject_id:
            raise ValueError("cleaning a record's text needs its subject")
        return record_texts(record, self.redactor(subject))

    def about(self, record: CreditRecord, subject: Subject, text: str | None) -> str | None:
        """Text about a record written by its bodies (who answered, to whom it was referred)."""
        if text is None or self.in_full(record):
            return text
        return self.redactor(subject)(text)

    def own(self, record: CreditRecord, text: str) -> str:
        """What the subject wrote itself: as written for those who read in full, else `WITHHELD`."""
        return text if self.in_full(record) else WITHHELD

    def subject(self, subject: Subject) -> SubjectTexts:
        viewer = self.viewer
        itself = viewer.subject_id is not None and viewer.subject_id == subject.id
        # A natural person's names are stored masked (张*); an organisation's are cleaned.
        if itself or can(viewer, Capability.CREDIT_OFFICE) or subject.kind is SubjectKind.NATURAL_PERSON:
            return SubjectTexts(subject.name, list(subject.former_names), subject.legal_representative)
        return subject_texts(subject, self.redactor(subject))


def clean(vault: Vault, subject: Any, text: str) -> str:
    """`text` cleaned for everyone (public feeds): the subject's redactor, whoever reads."""
    return redactor_of(vault, subject)(text)


# A double-quoted literal in a message (GraphQL quotes the values it refuses: `Int cannot represent
# non-integer value: "…"`); kept only when it is a name (a field, a type, an enum value).
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
_NAME = re.compile(r"\$?[A-Za-z_][A-Za-z0-9_]{0,40}")


def _quoted(match: re.Match[str]) -> str:
    return match.group(0) if _NAME.fullmatch(match.group(1)) else '"…"'


def clean_message(text: str) -> str:
    """An error message, or other text that concerns no subject: identifiers of anyone masked, and
    the values it quotes elided unless they are names of the schema (a message never repeats what a
    caller typed: it may be anybody's personal data)."""
    return clean_generic(_QUOTED.sub(_quoted, text))

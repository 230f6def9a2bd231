"""归集: loading subjects and records from data providers, shared by `creditgraph import` and
`upsertRecords`. One call handles a batch in the caller's unit of work; re-submitting identical
content changes nothing; a changed record gets a new revision; every change queues its subject.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import orjson

from credit import clock
from credit.enums import RecordCategory, RecordStatus, SubjectKind
from credit.lifecycle.objections import corrections_arrived
from credit.lifecycle.repository import Actor
from credit.outbox.queue import enqueue, touch_records
from credit.outbox.work import UnitOfWork
from credit.platform.crypto import Vault
from credit.privacy.redactor import redactor_for
from credit.records import repository
from credit.records.inputs import RecordInput, SubjectInput
from credit.rules.disclosure import disclosure_period
from credit.rules.facts import RecordFacts
from credit.subjects.masking import mask_address, mask_id_number, mask_name

UNKNOWN_SUBJECT = "unknown subject: no subject with this subjectCode was imported"


class Change(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


class Problem(StrEnum):
    """Why an item of a batch was refused."""

    INVALID = "INVALID"  # it breaks a rule of the input format
    DUPLICATE = "DUPLICATE"  # its key appears earlier in the same batch
    UNKNOWN_SUBJECT = "UNKNOWN_SUBJECT"  # its subjectCode names no imported subject
    FORBIDDEN = "FORBIDDEN"  # the writer may not write records of its authority


@dataclass(frozen=True, slots=True)
class Refusal:
    """A refused item: the kind of problem and a message safe to show its sender."""

    problem: Problem
    message: str


@dataclass
class Outcome:
    """What happened to each item of a batch, in input order: a Change, or a Refusal."""

    results: list[Change | Refusal] = field(default_factory=list)

    def count(self, change: Change) -> int:
        return sum(1 for r in self.results if r is change)

    @property
    def errors(self) -> list[tuple[int, Refusal]]:
        return [(i, r) for i, r in enumerate(self.results) if isinstance(r, Refusal)]


def _digest(payload: dict[str, Any]) -> bytes:
    return hashlib.blake2b(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS), digest_size=16).digest()


def subject_row(item: SubjectInput, vault: Vault) -> dict[str, Any]:
    """The stored form of a subject: personal data encrypted, clear columns masked for persons.

    An organisation's legal representative (法定代表人) is stored as published: the national enterprise
    credit publicity system (国家企业信用信息公示系统) publishes it with the registration under the
    企业信息公示暂行条例 (Interim Regulations on Enterprise Information Disclosure, art. 6), so masking it
    would hide what the law makes public. Natural persons' own name, ID number, phone and address stay
    masked in the clear columns (their real values only in `personal_data`)."""
    digest = _digest(item.model_dump(mode="json", exclude={"type"}))
    index = vault.blind_index(item.code)
    base: dict[str, Any] = {
        "kind": item.kind,
        "code_index": index,
        "former_names": list(item.former_names),
        "region_code": item.region_code,
        "registered_on": item.registered_on,
        "content_hash": digest,
    }
    if item.kind is SubjectKind.NATURAL_PERSON:
        secret = {
            "name": item.name,
            "code": item.code,
            "phone": item.phone,
            "address": item.address,
            "formerNames": list(item.former_names),
        }
        return base | {
            "code": mask_id_number(item.code),
            "name": mask_name(item.name),
            "former_names": [mask_name(former) for former in item.former_names],
            "legal_representative": None,
            "address": mask_address(item.address) if item.address else None,
            "personal_data": vault.encrypt(secret, context=index),
        }
    secret = {"legalRepresentative": item.legal_representative}
    return base | {
        "code": item.code,
        "name": item.name,
        "legal_representative": item.legal_representative or None,
        "address": item.address,
        "personal_data": vault.encrypt(secret, context=index),
    }


async def upsert_subjects(work: UnitOfWork, items: Sequence[SubjectInput], vault: Vault) -> Outcome:
    """Insert or update subjects by their code; each item's code must be unique within the batch."""
    if not items:
        return Outcome()
    rows = [subject_row(item, vault) for item in items]
    changed = await repository.upsert_subject_rows(work.session, rows)
    await enqueue(work, dict(changed.values()), "subject")
    outcome = Outcome()
    for row in rows:
        hit = changed.get(row["code_index"])
        outcome.results.append(Change.UNCHANGED if hit is None else Change.CREATED if hit[1] == 1 else Change.UPDATED)
    return outcome


def text_cleaner(
    vault: Vault, kind: SubjectKind, personal_data: bytes | None, code_index: bytes
) -> Callable[[str], str]:
    """How the free text of a subject's records is stored: for a natural person its name, former
    names, address and phone masked in every writing (titles such as 关于将张三纳入失信被执行人名单的决定书,
    also 张 三, 張三, Zhang San), and for every subject the ID numbers, phones, bank cards and e-mail
    addresses of anyone — the redactor every reader's text goes through (`credit.privacy.redactor`).
    The content hash is taken from the text as submitted, so re-importing the same line still changes
    nothing."""
    return redactor_for(
        vault,
        kind=kind,
        code="",
        legal_representative=None,
        personal_data=personal_data,
        code_index=code_index,
        content_hash=None,
    )


def clean_content(value: Any, clean: Callable[[str], str]) -> Any:
    """`value` (a record's JSON content) with `clean` applied to every string in it."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {key: clean_content(item, clean) for key, item in value.items()}
    if isinstance(value, list):
        return [clean_content(item, clean) for item in value]
    return value


def _facts(item: RecordInput, published_on: dt.date) -> RecordFacts:
    return RecordFacts(
        id=0,
        category=item.category,
        status=RecordStatus.ACTIVE,
        decided_on=item.decided_on,
        published_on=published_on,
        severity=item.severity,
        list_name=item.list_name,
        valid_from=item.valid_from,
        valid_until=item.valid_until,
        content=item.content,
        listing_ground=item.listing_ground,
        deleted_on=item.deleted_on,
    )


#: Whether a writer may write a record of this authority and category (`credit.access.policy.may_write`).
WriteScope = Callable[[str, RecordCategory], bool]
OUT_OF_SCOPE = (
    "authority: another body's record; a key (or an import for an authority) writes only its own "
    "authorities' records (谁认定、谁负责)"
)


async def upsert_records(
    work: UnitOfWork,
    items: Sequence[RecordInput],
    vault: Vault,
    *,
    actor: str,
    actor_key_id: int | None = None,
    actor_authorities: frozenset[str] = frozenset(),
    scope: WriteScope | None = None,
    today: dt.date | None = None,
) -> Outcome:
    """Insert or update records by (authority, sourceId); (authority, sourceId) unique within the batch.

    `scope` refuses (FORBIDDEN) the items the writer may not write, before anything is read or
    written for them; the history records the authority the actor acted for (`actor_authorities`)."""
    outcome = Outcome(results=[Change.UNCHANGED] * len(items))
    if not items:
        return outcome
    today = today or clock.today()
    session = work.session
    subject_ids: dict[bytes, int] = {}
    cleaners: dict[int, Callable[[str], str]] = {}
    indexes = {vault.blind_index(item.subject_code) for item in items}
    for index, sid, kind, personal_data in await repository.subjects_by_indexes(session, indexes):
        subject_ids[index] = sid
        cleaners[sid] = text_cleaner(vault, kind, personal_data, index)
    existing = await repository.existing_records(session, [(i.authority, i.source_id) for i in items])
    rows: list[dict[str, Any]] = []
    positions: dict[tuple[str, str], int] = {}
    for pos, item in enumerate(items):
        if scope is not None and not scope(item.authority, item.category):
            outcome.results[pos] = Refusal(Problem.FORBIDDEN, OUT_OF_SCOPE)
            continue
        subject_id = subject_ids.get(vault.blind_index(item.subject_code))
        if subject_id is None:
            outcome.results[pos] = Refusal(Problem.UNKNOWN_SUBJECT, UNKNOWN_SUBJECT)
            continue
        published_on = item.published_on or today
        # The defaulted publishedOn (the import day) stays out of the hash: the same line imported
        # another day is unchanged.
        payload = item.model_dump(mode="json", exclude={"type"})
        clean = cleaners[subject_id]
        rows.append(
            {
                "subject_id": subject_id,
                "authority": item.authority,
                "source_id": item.source_id,
                "category": item.category,
                "title": clean(item.title),
                "decision_number": item.decision_number and clean(item.decision_number),
                "decided_on": item.decided_on,
                "published_on": published_on,
                "severity": item.severity,
                "list_name": item.list_name and clean(item.list_name),
                "valid_from": item.valid_from,
                "valid_until": item.valid_until,
                "content": clean_content(item.content, clean),
                "listing_ground": item.listing_ground,
                "deleted_on": item.deleted_on,
                "deletion_reason": item.deletion_reason and clean(item.deletion_reason),
                "disclosure_until": disclosure_period(_facts(item, published_on)).until,
                "content_hash": _digest(payload),
            }
        )
        positions[(item.authority, item.source_id)] = pos
    if not rows:
        return outcome
    changed = await repository.upsert_record_rows(session, rows)
    touched: set[tuple[int, int | None]] = set()  # (subject, record): one outbox row per changed record
    events = []
    for rid, authority, source_id, subject_id, revision in changed:
        created = revision == 1
        outcome.results[positions[(authority, source_id)]] = Change.CREATED if created else Change.UPDATED
        touched.add((subject_id, rid))
        previous = existing.get((authority, source_id))
        if previous is not None and previous.subject_id != subject_id:
            touched.add((previous.subject_id, None))
        item = items[positions[(authority, source_id)]]
        happened = [("created", None) if created else ("updated", f"revision {revision}")]
        if item.deleted_on is not None and (previous is None or previous.deleted_on is None):
            # The court deleted the listing (法释〔2017〕7号 第十条): it leaves disclosure at once.
            happened.append(("deleted", f"deleted on {item.deleted_on}: {item.deletion_reason}"))
        for action, reason in happened:
            events.append(
                {
                    "record_id": rid,
                    "actor": actor,
                    "actor_key_id": actor_key_id,
                    "actor_authority": authority if authority in actor_authorities else None,
                    "action": action,
                    "to_status": None,
                    "reason": reason,
                }
            )
    await repository.insert_events(session, events)
    await touch_records(work, touched, "record")
    # A new revision of a record found wrong (a CORRECTED objection) is its correction.
    updated = [rid for rid, _, _, _, revision in changed if revision > 1]
    await corrections_arrived(work, updated, Actor(actor, actor_key_id, actor_authorities))
    return outcome

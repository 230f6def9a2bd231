"""Credit checks (征信查询) and the audit trail of entitled look-ups (查询记录).

A credit check is purpose-bound: an entitled role names the purpose and the subject's authorization
reference, and sees the subject's personal data unmasked as far as its role allows
(`credit.access.policy`). Each check writes an `AuditEntry` (who, which subject, purpose,
authorization reference, which fields were unmasked, when) and commits it before any personal data is
returned: a check whose audit row cannot be committed returns nothing. A check of a code that matches
no subject is audited too (probing whether a person is known is itself a look-up), then answered
NOT_FOUND.

Regulators read the whole trail; a subject reads who checked it (`check_records`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from credit.access.policy import (
    ADDRESS,
    FORMER_NAMES,
    ID_NUMBER,
    LEGAL_REPRESENTATIVE,
    NAME,
    PHONE,
    Capability,
    policy_of,
    require,
)
from credit.access.viewer import Viewer
from credit.checks.audit import CREDIT_CHECK, AuditPage, audit_page
from credit.clock import now
from credit.enums import CheckPurpose, Role, SubjectKind
from credit.errors import NotAllowed, NotFoundError
from credit.models import AuditEntry, Subject
from credit.platform.crypto import Vault
from credit.platform.runtime import Runtime
from credit.subjects.identifiers import is_resident_id
from credit.subjects.masking import mask_id_number
from credit.subjects.repository import subject_by_index
from credit.subjects.service import canonical_code
from credit.text import required_text

MAX_AUTHORIZATION_REF = 200

# Where each field lives in the decrypted `personal_data` of a subject.
_SECRET_KEYS = {
    NAME: "name",
    ID_NUMBER: "code",
    FORMER_NAMES: "formerNames",
    PHONE: "phone",
    ADDRESS: "address",
    LEGAL_REPRESENTATIVE: "legalRepresentative",
}


@dataclass(frozen=True)
class PersonalData:
    """A subject's personal data as one check may see it: fields the role may not see are None."""

    name: str | None = None
    id_number: str | None = None
    former_names: tuple[str, ...] | None = None
    phone: str | None = None
    address: str | None = None
    legal_representative: str | None = None


@dataclass(frozen=True)
class CheckResult:
    """The committed audit row of the check, the subject and the personal data it may see."""

    entry: AuditEntry
    subject: Subject
    personal_data: PersonalData | None


def unmask(vault: Vault, subject: Subject, role: Role) -> tuple[PersonalData | None, list[str]]:
    """The personal data of `subject` that `role` may see, and the names of the fields filled."""
    allowed = policy_of(role).unmasked
    if subject.personal_data is None or not allowed:
        return None, []
    secret = vault.decrypt(subject.personal_data, context=subject.code_index)
    if subject.kind is not SubjectKind.NATURAL_PERSON:
        secret = {"legalRepresentative": secret.get("legalRepresentative")}  # an organisation's name is public
    values: dict[str, Any] = {}
    for field, key in _SECRET_KEYS.items():
        value = secret.get(key)
        if field in allowed and value:
            values[field] = tuple(value) if field == FORMER_NAMES else str(value)
    if not values:
        return None, []
    data = PersonalData(
        name=values.get(NAME),
        id_number=values.get(ID_NUMBER),
        former_names=values.get(FORMER_NAMES),
        phone=values.get(PHONE),
        address=values.get(ADDRESS),
        legal_representative=values.get(LEGAL_REPRESENTATIVE),
    )
    return data, sorted(values)


def _masked_code(canonical: str) -> str:
    return mask_id_number(canonical) if is_resident_id(canonical) else canonical


async def credit_check(
    runtime: Runtime, viewer: Viewer, code: str, purpose: CheckPurpose, authorization_ref: str
) -> CheckResult:
    """Look a subject up for `purpose`, unmasked as the role allows; the audit row is committed first."""
    require(viewer, Capability.CREDIT_CHECK, "creditCheck")
    if purpose not in policy_of(viewer.role).purposes:
        raise NotAllowed(f"the purpose {purpose.value} is not open to the role {viewer.role.value}")
    reference = required_text(authorization_ref, "authorizationRef", max_length=MAX_AUTHORIZATION_REF)
    canonical = canonical_code(code)
    async with runtime.sessions.begin() as session:
        subject = await subject_by_index(session, runtime.vault.blind_index(canonical))
        data, fields = unmask(runtime.vault, subject, viewer.role) if subject is not None else (None, [])
        entry = AuditEntry(
            at=now(),
            key_id=viewer.key_id,
            role=viewer.role,
            action=CREDIT_CHECK,
            subject_id=subject.id if subject is not None else None,
            purpose=purpose,
            authorization_ref=reference,
            unmasked_fields=fields,
            details={"found": subject is not None, "code": _masked_code(canonical)},
        )
        session.add(entry)
        await session.flush()
    if subject is None:
        raise NotFoundError("no subject with this code")
    return CheckResult(entry=entry, subject=subject, personal_data=data)


async def audit_log(
    runtime: Runtime, viewer: Viewer, subject_code: str | None, first: int, before_id: int | None
) -> AuditPage:
    """The audit trail, newest first, optionally of one subject (regulators only)."""
    require(viewer, Capability.READ_AUDIT_LOG, "auditLog")
    async with runtime.sessions() as session:
        subject_id = None
        if subject_code is not None:
            subject = await subject_by_index(session, runtime.vault.blind_index(canonical_code(subject_code)))
            if subject is None:
                raise NotFoundError("no subject with this code")
            subject_id = subject.id
        return await audit_page(session, subject_id, first, before_id)


async def check_records(runtime: Runtime, viewer: Viewer, first: int, before_id: int | None) -> AuditPage:
    """查询记录: every entitled look-up of the viewer's own subject (credit checks and look-ups by ID
    number), newest first (SUBJECT keys only)."""
    require(viewer, Capability.READ_OWN_CHECK_RECORDS, "myCheckRecords")
    if viewer.subject_id is None:
        raise NotAllowed("this SUBJECT key is not bound to a subject")
    async with runtime.sessions() as session:
        return await audit_page(session, viewer.subject_id, first, before_id)

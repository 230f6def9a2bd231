"""Credit checks (征信查询) and the audit trail of entitled look-ups (查询记录).

A credit check is purpose-bound: an entitled role names the purpose and the subject's authorization
reference, and sees the subject's personal data unmasked as far as its role allows. Each check
writes an `AuditEntry` (who, which subject, purpose, authorization reference, which fields were
unmasked, when) in the caller's transaction, flushed before any personal data is returned: a
check whose audit row cannot be committed returns nothing. A check of a code that matches no
subject is audited too (probing whether a person is known is itself a look-up).

Regulators read the whole trail; a subject reads who checked it (`check_records`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from credit.access.keys import Viewer
from credit.enums import CheckPurpose, Role, SubjectKind
from credit.errors import InvalidRequest, NotAllowed
from credit.lifecycle.common import clean_text, now, require_role
from credit.models import ApiKey, AuditEntry, Subject
from credit.platform.crypto import Vault
from credit.subjects.identifiers import is_resident_id, normalize_any_code
from credit.subjects.masking import mask_id_number

CREDIT_CHECK: Final = "credit_check"
ID_LOOKUP: Final = "id_lookup"
ID_SEARCH: Final = "id_search"

MAX_AUTHORIZATION_REF = 200

#: Roles that run credit checks.
CHECKERS: frozenset[Role] = frozenset({Role.FINANCIAL_INSTITUTION, Role.REGULATOR})

#: The purposes each role may state: financial institutions check for their own business only.
PURPOSES: dict[Role, frozenset[CheckPurpose]] = {
    Role.FINANCIAL_INSTITUTION: frozenset(
        {
            CheckPurpose.LOAN_APPROVAL,
            CheckPurpose.POST_LOAN_MONITORING,
            CheckPurpose.GUARANTEE,
            CheckPurpose.INSURANCE_UNDERWRITING,
        }
    ),
    Role.REGULATOR: frozenset(CheckPurpose),
}

#: Personal-data fields, by their GraphQL names.
NAME, ID_NUMBER, FORMER_NAMES, PHONE, ADDRESS, LEGAL_REPRESENTATIVE = (
    "name",
    "idNumber",
    "formerNames",
    "phone",
    "address",
    "legalRepresentative",
)

#: The fields each role sees unmasked (minimum necessary: an institution needs the identity and the
#: legal representative, not a person's phone number or home address).
UNMASKED: dict[Role, frozenset[str]] = {
    Role.FINANCIAL_INSTITUTION: frozenset({NAME, ID_NUMBER, FORMER_NAMES, LEGAL_REPRESENTATIVE}),
    Role.REGULATOR: frozenset({NAME, ID_NUMBER, FORMER_NAMES, PHONE, ADDRESS, LEGAL_REPRESENTATIVE}),
}

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
    """The audit row of the check, the subject (None when the code matched no subject) and its data."""

    entry: AuditEntry
    subject: Subject | None
    personal_data: PersonalData | None


@dataclass(frozen=True)
class AuditPage:
    """Audit rows (newest first) with the name of the key that made each, and the total matching."""

    entries: list[tuple[AuditEntry, str | None]]
    total: int
    has_next_page: bool


def unmask(vault: Vault, subject: Subject, role: Role) -> tuple[PersonalData | None, list[str]]:
    """The personal data of `subject` that `role` may see, and the names of the fields filled."""
    allowed = UNMASKED.get(role, frozenset())
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


async def find_subject(session: AsyncSession, vault: Vault, code: str) -> tuple[str, Subject | None]:
    """The canonical form of a USCC or resident ID number, and its subject if there is one."""
    canonical = normalize_any_code(code)
    if canonical is None:
        raise InvalidRequest("code is neither a valid 统一社会信用代码 nor a valid resident ID number")
    subject: Subject | None = await session.scalar(
        select(Subject).where(Subject.code_index == vault.blind_index(canonical))
    )
    return canonical, subject


def _masked_code(canonical: str) -> str:
    return mask_id_number(canonical) if is_resident_id(canonical) else canonical


async def credit_check(
    session: AsyncSession,
    vault: Vault,
    viewer: Viewer,
    code: str,
    purpose: CheckPurpose,
    authorization_ref: str,
) -> CheckResult:
    """Look a subject up for `purpose`, unmasked as the role allows, and write the audit row."""
    require_role(viewer, CHECKERS, "creditCheck")
    if purpose not in PURPOSES[viewer.role]:
        raise NotAllowed(f"the purpose {purpose.value} is not open to the role {viewer.role.value}")
    reference = clean_text(authorization_ref, "authorizationRef", required=True, max_length=MAX_AUTHORIZATION_REF)
    canonical, subject = await find_subject(session, vault, code)
    data, fields = unmask(vault, subject, viewer.role) if subject is not None else (None, [])
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
    return CheckResult(entry=entry, subject=subject, personal_data=data)


async def record_lookup(
    session: AsyncSession, viewer: Viewer, action: str, subject_ids: Sequence[int], details: dict[str, Any]
) -> None:
    """Audit an entitled look-up by ID number (`subject(code:)`, `searchSubjects`): one row a subject
    found, or one row without a subject when none was."""
    targets: list[int | None] = [*subject_ids] or [None]
    for subject_id in targets:
        session.add(
            AuditEntry(
                at=now(), key_id=viewer.key_id, role=viewer.role, action=action, subject_id=subject_id, details=details
            )
        )
    await session.flush()


async def _page(session: AsyncSession, conditions: list[Any], first: int, before_id: int | None) -> AuditPage:
    total = await session.scalar(select(func.count()).select_from(AuditEntry).where(*conditions)) or 0
    stmt = (
        select(AuditEntry, ApiKey.name)
        .outerjoin(ApiKey, ApiKey.id == AuditEntry.key_id)
        .where(*conditions)
        .order_by(AuditEntry.id.desc())
        .limit(first + 1)
    )
    if before_id is not None:
        stmt = stmt.where(AuditEntry.id < before_id)
    rows: list[tuple[AuditEntry, str | None]] = [(entry, name) for entry, name in (await session.execute(stmt)).all()]
    return AuditPage(entries=rows[:first], total=total, has_next_page=len(rows) > first)


async def audit_log(
    session: AsyncSession, viewer: Viewer, subject_id: int | None, first: int, before_id: int | None
) -> AuditPage:
    """The audit trail, newest first, optionally of one subject (regulators only)."""
    require_role(viewer, {Role.REGULATOR}, "auditLog")
    conditions = [] if subject_id is None else [AuditEntry.subject_id == subject_id]
    return await _page(session, conditions, first, before_id)


async def check_records(session: AsyncSession, viewer: Viewer, first: int, before_id: int | None) -> AuditPage:
    """查询记录: every entitled look-up of the viewer's own subject (credit checks and look-ups by ID
    number), newest first (SUBJECT keys only)."""
    require_role(viewer, {Role.SUBJECT}, "myCheckRecords")
    if viewer.subject_id is None:
        raise NotAllowed("this SUBJECT key is not bound to a subject")
    conditions = [AuditEntry.subject_id == viewer.subject_id]
    return await _page(session, conditions, first, before_id)

"""Who may do what: one table of roles, their capabilities, check purposes and unmasked fields.

Every role check of the service is derived from `POLICY`: the services call `require`, the GraphQL
permission classes are built from `roles_with` (api/graphql/permissions.py), and the credit check
reads `purposes` and `unmasked` from the same row. A new capability is one enum member and the
rows that grant it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from credit.access.viewer import Viewer
from credit.enums import CheckPurpose, RecordCategory, Role
from credit.errors import NotAllowed
from credit.rules.decisions import office_decides


class Capability(StrEnum):
    """Something a role may do."""

    #: Read records outside public disclosure (`includeInactive`) and look persons up by ID number.
    READ_INACTIVE = "READ_INACTIVE"
    #: Submit records (归集): `upsertRecords`.
    SUBMIT_RECORDS = "SUBMIT_RECORDS"
    #: File an objection or apply for repair on behalf of a subject (a SUBJECT key: its own records).
    ACT_FOR_SUBJECT = "ACT_FOR_SUBJECT"
    #: The credit office's work: answer objections, decide repairs, read record histories and backlogs.
    CREDIT_OFFICE = "CREDIT_OFFICE"
    #: Purpose-bound credit checks (征信查询).
    CREDIT_CHECK = "CREDIT_CHECK"
    #: Read the whole audit trail of entitled look-ups.
    READ_AUDIT_LOG = "READ_AUDIT_LOG"
    #: Read who looked one's own subject up (查询记录).
    READ_OWN_CHECK_RECORDS = "READ_OWN_CHECK_RECORDS"
    #: Decide about records (answer objections, decide repairs): as their authority, or as the credit
    #: office where the decision table lets it (`may_decide`).
    DECIDE_ON_RECORDS = "DECIDE_ON_RECORDS"


#: Personal-data fields, by their GraphQL names.
NAME: Final = "name"
ID_NUMBER: Final = "idNumber"
FORMER_NAMES: Final = "formerNames"
PHONE: Final = "phone"
ADDRESS: Final = "address"
LEGAL_REPRESENTATIVE: Final = "legalRepresentative"


@dataclass(frozen=True, slots=True)
class RolePolicy:
    """What one role may do, which purposes it may state in a credit check, and which personal-data
    fields a check unmasks for it (minimum necessary)."""

    capabilities: frozenset[Capability] = frozenset()
    purposes: frozenset[CheckPurpose] = frozenset()
    unmasked: frozenset[str] = frozenset()


_C = Capability
_OFFICE = frozenset({_C.READ_INACTIVE, _C.ACT_FOR_SUBJECT, _C.CREDIT_OFFICE, _C.DECIDE_ON_RECORDS})

POLICY: Final[Mapping[Role, RolePolicy]] = {
    Role.PUBLIC: RolePolicy(),
    Role.JOURNALIST: RolePolicy(),
    # Financial institutions check for their own business only, and need the identity and the legal
    # representative, not a person's phone number or home address.
    Role.FINANCIAL_INSTITUTION: RolePolicy(
        capabilities=frozenset({_C.READ_INACTIVE, _C.CREDIT_CHECK}),
        purposes=frozenset(
            {
                CheckPurpose.LOAN_APPROVAL,
                CheckPurpose.POST_LOAN_MONITORING,
                CheckPurpose.GUARANTEE,
                CheckPurpose.INSURANCE_UNDERWRITING,
            }
        ),
        unmasked=frozenset({NAME, ID_NUMBER, FORMER_NAMES, LEGAL_REPRESENTATIVE}),
    ),
    Role.DATA_PROVIDER: RolePolicy(capabilities=frozenset({_C.SUBMIT_RECORDS, _C.DECIDE_ON_RECORDS})),
    Role.REGULATOR: RolePolicy(
        capabilities=_OFFICE | {_C.SUBMIT_RECORDS, _C.CREDIT_CHECK, _C.READ_AUDIT_LOG},
        purposes=frozenset(CheckPurpose),
        unmasked=frozenset({NAME, ID_NUMBER, FORMER_NAMES, PHONE, ADDRESS, LEGAL_REPRESENTATIVE}),
    ),
    Role.SUBJECT: RolePolicy(capabilities=frozenset({_C.ACT_FOR_SUBJECT, _C.READ_OWN_CHECK_RECORDS})),
    Role.ADMIN: RolePolicy(capabilities=_OFFICE),
}


def policy_of(role: Role) -> RolePolicy:
    return POLICY[role]


def can(viewer: Viewer, capability: Capability) -> bool:
    return capability in POLICY[viewer.role].capabilities


def roles_with(capability: Capability) -> frozenset[Role]:
    """The roles granted `capability`, e.g. for a GraphQL permission class."""
    return frozenset(role for role, row in POLICY.items() if capability in row.capabilities)


def require(viewer: Viewer, capability: Capability, action: str) -> None:
    """NotAllowed (FORBIDDEN) naming the roles that may, unless the viewer's role may."""
    if not can(viewer, capability):
        allowed = ", ".join(sorted(role.value for role in roles_with(capability)))
        raise NotAllowed(f"{action} needs one of the roles {allowed}")


def require_for_subject(viewer: Viewer, subject_id: int, action: str) -> None:
    """Act on a subject's records on its behalf: the credit office for any subject, a SUBJECT key only
    for the subject it is bound to."""
    require(viewer, Capability.ACT_FOR_SUBJECT, action)
    if viewer.role is Role.SUBJECT and (viewer.subject_id is None or viewer.subject_id != subject_id):
        raise NotAllowed(f"{action}: a SUBJECT key may act only on the records of its own subject")


#: Roles whose keys may be bound to authorities (认定单位): providers, and the credit office for the
#: records it makes itself.
AUTHORITY_ROLES: Final = frozenset({Role.DATA_PROVIDER, Role.REGULATOR})


def may_write(viewer: Viewer, authority: str, category: RecordCategory) -> bool:
    """Whether the viewer may submit (create or change) a record of `authority` and `category`: a key
    bound to that authority (谁认定、谁负责), or the credit office for the categories where the decision
    table lets it decide (`credit.rules.decisions`)."""
    if not can(viewer, Capability.SUBMIT_RECORDS):
        return False
    if authority in viewer.authorities:
        return True
    return can(viewer, Capability.CREDIT_OFFICE) and office_decides(category)


def may_decide(viewer: Viewer, authority: str, category: RecordCategory) -> bool:
    """Whether the viewer may answer an objection to, decide a repair of, or remove a record of
    `authority` and `category`: its authority's key, or the office where the decision table lets it."""
    if not can(viewer, Capability.DECIDE_ON_RECORDS):
        return False
    if authority in viewer.authorities:
        return True
    return can(viewer, Capability.CREDIT_OFFICE) and office_decides(category)


def require_decider(viewer: Viewer, authority: str, category: RecordCategory, action: str) -> None:
    """NotAllowed (FORBIDDEN) unless `may_decide`; the message says who decides."""
    require(viewer, Capability.DECIDE_ON_RECORDS, action)
    if not may_decide(viewer, authority, category):
        who = "the court that listed it" if category is RecordCategory.DISHONEST_JUDGMENT_DEBTOR else "its authority"
        raise NotAllowed(f"{action}: a {category.value} record is decided by {who} (a key bound to its authority)")


def reads_text_in_full(viewer: Viewer, subject_id: int, authority: str, category: RecordCategory) -> bool:
    """Whether the viewer reads the free text of a subject's record (and of its objections and repair
    applications) as written: the subject itself, the record's deciding bodies (`may_decide`) and the
    credit office. Everyone else reads it cleaned of personal data, and does not read what the subject
    itself wrote (`credit.privacy.view`): 《个人信息保护法》 第二十五条 forbids publishing personal
    information without separate consent."""
    if viewer.role is Role.SUBJECT:
        return viewer.subject_id is not None and viewer.subject_id == subject_id
    return can(viewer, Capability.CREDIT_OFFICE) or may_decide(viewer, authority, category)


def may_read_record(viewer: Viewer, subject_id: int, disclosed: bool) -> bool:
    """Whether the viewer may read a record of `subject_id` (and its objections): anyone while it is
    in public disclosure; after that, the roles that read inactive records and the subject itself."""
    if disclosed or can(viewer, Capability.READ_INACTIVE):
        return True
    return viewer.role is Role.SUBJECT and viewer.subject_id is not None and viewer.subject_id == subject_id

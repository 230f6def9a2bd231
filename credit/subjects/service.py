"""Looking subjects up: by code (audited when it is a person's ID number) and by id; divisions by name."""

from __future__ import annotations

from credit.access.policy import Capability, can
from credit.access.viewer import Viewer
from credit.checks.audit import ID_LOOKUP, record_lookup
from credit.enums import SubjectKind
from credit.errors import InvalidRequest, NotAllowed
from credit.models import Subject
from credit.platform.runtime import Runtime
from credit.subjects.identifiers import is_resident_id, is_uscc, normalize_any_code
from credit.subjects.regions import RegionMatch, find_regions
from credit.subjects.repository import subject_by_index


def canonical_code(code: str) -> str:
    """The canonical USCC or resident ID number; InvalidRequest when it is neither."""
    canonical = normalize_any_code(code)
    if canonical is None:
        raise InvalidRequest("code is neither a valid 统一社会信用代码 nor a valid resident ID number")
    return canonical


async def subject_by_code(runtime: Runtime, viewer: Viewer, code: str) -> Subject | None:
    """The subject of a USCC, or of a resident ID number for roles that may look persons up (the
    look-up is then written to the audit trail, found or not).

    A code valid both as a USCC and as an ID number (all digits, both check characters matching)
    answers with the organisation it names to everyone; as a person's code it is treated like any ID
    number, so the answer tells an unentitled viewer nothing about whether such a person exists."""
    canonical = canonical_code(code)
    person = is_resident_id(canonical)
    organisation = is_uscc(canonical)
    entitled = can(viewer, Capability.READ_INACTIVE)
    if person and not organisation and not entitled:
        raise NotAllowed(_PERSON_LOOKUP)
    async with runtime.sessions.begin() as session:
        subject = await subject_by_index(session, runtime.vault.blind_index(canonical))
        as_person = person and (subject is None or subject.kind is SubjectKind.NATURAL_PERSON)
        if as_person and organisation and not entitled:
            raise NotAllowed(_PERSON_LOOKUP)
        if as_person:
            found = [subject.id] if subject is not None else []
            await record_lookup(session, viewer, ID_LOOKUP, found, {"found": subject is not None})
    return subject


MAX_REGION_QUERY = 40
MAX_REGIONS = 20


def regions(query: str) -> list[RegionMatch]:
    """Current divisions by name in any script, short form (常州) or code prefix (3204), best first
    (`credit.subjects.regions.find_regions`); InvalidRequest for a query longer than 40 characters."""
    if len(query) > MAX_REGION_QUERY:
        raise InvalidRequest(f"query must be at most {MAX_REGION_QUERY} characters")
    return find_regions(query, limit=MAX_REGIONS)


_PERSON_LOOKUP = "looking a natural person up by ID number needs an entitled role"

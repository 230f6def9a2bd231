"""Subject documents rebuilt from PostgreSQL, with the same flag derivation the API uses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from credit.crypto import Vault
from credit.enums import SubjectKind
from credit.models import Subject
from credit.profile import load_facts
from credit.rules.flags import derive_flags, in_public_disclosure
from credit.search.document import SubjectSnapshot, build_document


def snapshot_of(subject: Subject, vault: Vault, facts: Sequence[Any], today: dt.date) -> SubjectSnapshot:
    flags = derive_flags(facts, today)
    code, name = subject.code, subject.name
    if subject.kind is SubjectKind.NATURAL_PERSON and subject.personal_data is not None:
        secret = vault.decrypt(subject.personal_data, context=subject.code_index)
        code, name = secret["code"] or code, secret["name"] or name
    categories = sorted({f.category for f in facts if in_public_disclosure(f, today)})
    return SubjectSnapshot(
        id=subject.id,
        kind=subject.kind,
        code=code,
        name=name,
        former_names=tuple(subject.former_names),
        region_code=subject.region_code,
        revision=subject.revision,
        categories=tuple(categories),
        active_flag_codes=tuple(sorted({f.code for f in flags.active})),
        has_active_punishment=flags.has_active_punishment,
    )


async def load_documents(
    session: AsyncSession, vault: Vault, subject_ids: Sequence[int], today: dt.date
) -> dict[int, tuple[int, dict[str, Any]]]:
    """`{subject id: (revision, document)}`; subjects that no longer exist are absent."""
    subjects = (await session.scalars(select(Subject).where(Subject.id.in_(subject_ids)))).all()
    facts = await load_facts(session, [s.id for s in subjects])
    return {
        s.id: (s.revision, build_document(snapshot_of(s, vault, facts.get(s.id, []), today), vault)) for s in subjects
    }

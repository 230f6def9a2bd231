"""Subject documents rebuilt from PostgreSQL, with the same flag derivation the API uses.

A document depends on the subject's rows *and on the day* (disclosure periods end, list validity
starts and ends), so its external version is the pair (revision, day): see `external_version`.
`read_documents` takes its snapshot first and reads the clock after, so a snapshot that sees a
sweep's revision bump (committed after midnight) is always built for the new day.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from credit import clock
from credit.enums import SubjectKind
from credit.models import Subject
from credit.platform.crypto import Vault
from credit.platform.runtime import Runtime
from credit.rules.derived import SubjectState, derive_subject
from credit.search.document import SubjectSnapshot, build_document
from credit.subjects.repository import read_profiles

log = logging.getLogger("creditgraph.indexer")

LOCK_TIMEOUT = "5s"


# Low bits of the external version that hold the day a document was built for (date ordinals reach
# 2**20 in the year 2870).
VERSION_DAY_BITS = 20


def external_version(revision: int, built_on: dt.date) -> int:
    """The external version of a document: the subject's revision, then the day it was built for.

    The revision alone would not do: a document rebuilt at the same revision on a later day (after a
    disclosure period ended, before the sweeper bumped the revision) differs, and must replace the
    earlier one rather than be refused as a duplicate. A higher revision always wins whatever the day.
    """
    return (revision << VERSION_DAY_BITS) | built_on.toordinal()


#: Above any document's version (a revision below 2**42 shifted by `VERSION_DAY_BITS`) and below the
#: engine's limit of 2**63 - 1: the external version of a deleted subject's tombstone
#: (`indexers.writes`), and the revision the profile cache is stamped with for it, which no cached
#: entry can reach (`indexers.worker`).
TOMBSTONE_VERSION = 2**62


@dataclass(frozen=True, slots=True)
class SubjectDocument:
    """One subject's search document, the revision and day it was built for, and when it next
    changes by itself."""

    revision: int
    document: dict[str, Any]
    next_boundary: dt.date | None
    built_on: dt.date

    @property
    def version(self) -> int:
        return external_version(self.revision, self.built_on)


@dataclass
class DocumentBatch:
    """Documents of the subjects asked for; subjects that failed to build or no longer exist apart."""

    today: dt.date
    documents: dict[int, SubjectDocument] = field(default_factory=dict)
    errors: dict[int, str] = field(default_factory=dict)
    missing: set[int] = field(default_factory=set)


def snapshot_of(subject: Subject, vault: Vault, state: SubjectState) -> SubjectSnapshot:
    code, name, former_names = subject.code, subject.name, list(subject.former_names)
    if subject.kind is SubjectKind.NATURAL_PERSON and subject.personal_data is not None:
        secret = vault.decrypt(subject.personal_data, context=subject.code_index)
        code, name = secret["code"] or code, secret["name"] or name
        # A person's former names are stored masked; the real ones are only hashed into the document.
        former_names = list(secret.get("formerNames") or former_names)
    return SubjectSnapshot(
        id=subject.id,
        kind=subject.kind,
        code=code,
        name=name,
        former_names=tuple(former_names),
        region_code=subject.region_code,
        revision=subject.revision,
        categories=state.categories,
        active_flag_codes=tuple(sorted({f.code for f in state.flags.active})),
        has_active_punishment=state.has_active_punishment,
    )


async def load_documents(
    session: AsyncSession, vault: Vault, subject_ids: Sequence[int], today: dt.date
) -> DocumentBatch:
    """Build the documents of `subject_ids` as of `today`, each subject on its own.

    A subject whose document cannot be built (undecryptable personal data, a rule error) lands in
    `errors` instead of failing the batch, so one poisoned subject never holds up the others.
    """
    batch = DocumentBatch(today=today)
    profiles = await read_profiles(session, subject_ids)
    for subject_id, profile in profiles.items():
        subject = profile.subject
        try:
            state = derive_subject(profile.facts(), today, profile.subject_facts())
            document = build_document(snapshot_of(subject, vault, state), vault)
        except Exception as exc:  # one subject's data must not stop the queue
            log.exception("cannot build the document of subject %s", subject_id)
            batch.errors[subject_id] = f"{type(exc).__name__}: {exc}"[:500]
            continue
        batch.documents[subject_id] = SubjectDocument(subject.revision, document, state.next_boundary, today)
    batch.missing = {sid for sid in subject_ids if sid not in profiles}
    return batch


async def read_documents(runtime: Runtime, subject_ids: Sequence[int]) -> DocumentBatch:
    """`load_documents` in one REPEATABLE READ snapshot, for the day on which the snapshot was taken."""
    async with runtime.engine.connect() as conn:
        await conn.execution_options(isolation_level="REPEATABLE READ")
        async with runtime.sessions(bind=conn) as session:
            # The caller holds its claim on outbox rows meanwhile: never wait for long behind a lock
            # (a TRUNCATE or a migration queued on these tables may itself wait for that claim).
            await session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
            await session.execute(text("SELECT 1"))  # the snapshot is taken here, before the clock is read
            return await load_documents(session, runtime.vault, subject_ids, clock.today())

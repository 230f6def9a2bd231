"""DataLoaders, created per request in the context (`<Thing>By<Key>Loader`); each batch is one call
to a repository of `credit`, so a page costs the same number of statements whatever its size."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from credit.models import CreditRecord, Objection, Subject
from credit.platform.runtime import Runtime
from credit.rules.derived import SubjectState, derive_subject
from credit.rules.flags import FlagSet
from credit.subjects import repository
from credit.subjects.profiles import ProfileStore, RoleClass, for_role
from credit.subjects.repository import Profile


class SubjectByIdLoader(DataLoader[int, Subject | None]):
    def __init__(self, runtime: Runtime) -> None:
        async def load(ids: Sequence[int]) -> list[Subject | None]:
            async with runtime.sessions() as session:
                rows = await repository.subjects_by_ids(session, ids)
            return [rows.get(i) for i in ids]

        super().__init__(load_fn=load)


class ProfileBySubjectLoader(DataLoader[tuple[int, RoleClass], Profile | None]):
    """Cached profiles (subject, records, objections) by role class, from one read of the whole profile.

    Every request needs the whole profile anyway: what is derived about a subject (measures earned
    over time) depends on records whose disclosure has ended (`StateBySubjectLoader`). So the
    ENTITLED profile is read once (cache, else PostgreSQL) and the PUBLIC view is cut from it
    (`for_role`: only records in public disclosure), rather than a second read per role class.
    """

    def __init__(self, store: ProfileStore, today: dt.date) -> None:
        async def load(keys: Sequence[tuple[int, RoleClass]]) -> list[Profile | None]:
            ids = sorted({sid for sid, _ in keys})
            whole = await store.load(ids, RoleClass.ENTITLED, today)
            found: list[Profile | None] = []
            for sid, role_class in keys:
                profile = whole.get(sid)
                found.append(None if profile is None else for_role(profile, role_class, today))
            return found

        super().__init__(load_fn=load)


class StateBySubjectLoader(DataLoader[int, SubjectState]):
    """What is derived about a subject today (`credit.rules.derived`), from all its records: measures
    earned over time depend on records whose disclosure has ended, and only records in public
    disclosure bring flags, so what is shown (flags and the records they name) stays public."""

    def __init__(self, profiles: ProfileBySubjectLoader, today: dt.date) -> None:
        async def load(ids: Sequence[int]) -> list[SubjectState]:
            loaded = await profiles.load_many([(i, RoleClass.ENTITLED) for i in ids])
            return [_derive(p, today) for p in loaded]

        super().__init__(load_fn=load)


def _derive(profile: Profile | None, today: dt.date) -> SubjectState:
    if profile is None:  # no such subject: nothing is derived (the subject field answers null first)
        return SubjectState(flags=FlagSet(active=(), held=()), categories=(), next_boundary=None)
    return derive_subject(profile.facts(), today, profile.subject_facts())


class RecordByIdLoader(DataLoader[int, CreditRecord | None]):
    def __init__(self, runtime: Runtime) -> None:
        async def load(ids: Sequence[int]) -> list[CreditRecord | None]:
            async with runtime.sessions() as session:
                rows = await repository.records_by_ids(session, ids)
            return [rows.get(i) for i in ids]

        super().__init__(load_fn=load)


class ObjectionsByRecordLoader(DataLoader[int, list[Objection]]):
    def __init__(self, runtime: Runtime) -> None:
        async def load(ids: Sequence[int]) -> list[list[Objection]]:
            async with runtime.sessions() as session:
                grouped = await repository.objections_by_records(session, ids)
            return [grouped.get(i, []) for i in ids]

        super().__init__(load_fn=load)


class Loaders:
    def __init__(self, runtime: Runtime, today: dt.date, *, cached: bool = True) -> None:
        self.subject_by_id = SubjectByIdLoader(runtime)
        store = ProfileStore(runtime.sessions, runtime.broker if cached else None)
        self.profile_by_subject = ProfileBySubjectLoader(store, today)
        self.state_by_subject = StateBySubjectLoader(self.profile_by_subject, today)
        self.record_by_id = RecordByIdLoader(runtime)
        self.objections_by_record = ObjectionsByRecordLoader(runtime)

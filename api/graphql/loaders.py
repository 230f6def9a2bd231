"""DataLoaders, created per request in the context (`<Thing>By<Key>Loader`)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from credit.models import CreditRecord, Objection, Subject
from credit.platform.broker import Broker
from credit.rules.facts import RecordFacts
from credit.rules.flags import FlagSet, derive_flags
from credit.subjects.profile_cache import Profile, ProfileStore, RoleClass


class SubjectByIdLoader(DataLoader[int, Subject | None]):
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        async def load(ids: Sequence[int]) -> list[Subject | None]:
            async with sessions() as session:
                rows = {s.id: s for s in (await session.scalars(select(Subject).where(Subject.id.in_(ids)))).all()}
            return [rows.get(i) for i in ids]

        super().__init__(load_fn=load)


class ProfileBySubjectLoader(DataLoader[tuple[int, RoleClass], Profile | None]):
    """Cached profiles (subject, records, objections), one batch per role class."""

    def __init__(self, store: ProfileStore, today: dt.date) -> None:
        async def load(keys: Sequence[tuple[int, RoleClass]]) -> list[Profile | None]:
            found: dict[tuple[int, RoleClass], Profile] = {}
            for role_class in {rc for _, rc in keys}:
                ids = [sid for sid, rc in keys if rc is role_class]
                for sid, profile in (await store.load(ids, role_class, today)).items():
                    found[(sid, role_class)] = profile
            return [found.get(key) for key in keys]

        super().__init__(load_fn=load)


class FactsBySubjectLoader(DataLoader[int, list[RecordFacts]]):
    """Facts of the records in public disclosure: the only ones that can bring flags."""

    def __init__(self, profiles: ProfileBySubjectLoader) -> None:
        async def load(ids: Sequence[int]) -> list[list[RecordFacts]]:
            loaded = await profiles.load_many([(i, RoleClass.PUBLIC) for i in ids])
            return [p.facts() if p is not None else [] for p in loaded]

        super().__init__(load_fn=load)


class FlagsBySubjectLoader(DataLoader[int, FlagSet]):
    def __init__(self, facts: FactsBySubjectLoader, today: dt.date) -> None:
        async def load(ids: Sequence[int]) -> list[FlagSet]:
            return [derive_flags(f, today) for f in await facts.load_many(ids)]

        super().__init__(load_fn=load)


class RecordByIdLoader(DataLoader[int, CreditRecord | None]):
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        async def load(ids: Sequence[int]) -> list[CreditRecord | None]:
            async with sessions() as session:
                stmt = select(CreditRecord).where(CreditRecord.id.in_(ids))
                rows = {r.id: r for r in (await session.scalars(stmt)).all()}
            return [rows.get(i) for i in ids]

        super().__init__(load_fn=load)


class ObjectionsByRecordLoader(DataLoader[int, list[Objection]]):
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        async def load(ids: Sequence[int]) -> list[list[Objection]]:
            grouped: dict[int, list[Objection]] = defaultdict(list)
            async with sessions() as session:
                stmt = select(Objection).where(Objection.record_id.in_(ids)).order_by(Objection.id)
                for row in (await session.scalars(stmt)).all():
                    grouped[row.record_id].append(row)
            return [grouped.get(i, []) for i in ids]

        super().__init__(load_fn=load)


class Loaders:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], today: dt.date, broker: Broker | None = None
    ) -> None:
        self.subject_by_id = SubjectByIdLoader(sessions)
        self.profile_by_subject = ProfileBySubjectLoader(ProfileStore(sessions, broker), today)
        self.facts_by_subject = FactsBySubjectLoader(self.profile_by_subject)
        self.flags_by_subject = FlagsBySubjectLoader(self.facts_by_subject, today)
        self.record_by_id = RecordByIdLoader(sessions)
        self.objections_by_record = ObjectionsByRecordLoader(sessions)

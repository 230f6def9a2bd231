"""Cached subject profiles (`repository.Profile`: the subject's row, its records and their
objections) as one entry per role class.

A profile costs one cache read when warm and three statements when cold, whatever the number of
records. Entries are kept per role class: `public` holds only records in public disclosure, so a
public request never has withdrawn records in hand; `entitled` holds every record. The indexer
stamps the revision it indexed and deletes both entries of the subject (`stamp_revisions`),
so a cached profile never outlives a change; the TTL is only a backstop. A cache that fails is
skipped: the profile is read from PostgreSQL and the request succeeds.

A request that read PostgreSQL just before a change and writes the cache just after the indexer
invalidated it would leave a stale entry. To rule that out, every entry carries the subject's
revision, and the indexer publishes the revision it indexed under `profile:<id>:rev`: an entry
older than that stamp is a miss. A fill sets the stamp only where none exists.

A record's `content` is cached as a JSON text of its own, so its nesting does not add to the
entry's: the import bounds `content` (`credit.records.inputs.MAX_CONTENT_DEPTH`), but a record
stored before that bound, nested a few hundred levels, made orjson refuse the whole entry and left
its subject uncacheable (issue 18, finding 11). Such a content is written by the standard library's
encoder when orjson refuses it; one too deep for both keeps, in the cache, only what the rules read
(its first-level keys with scalar or flat-list values), and a warning is logged.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from credit.models import CreditRecord, Objection, Subject
from credit.platform.broker import Broker
from credit.rules.flags import in_public_disclosure
from credit.subjects.repository import Profile, read_profiles

log = logging.getLogger("creditgraph.cache")

TTL_SECONDS = 300
_FORMAT = 2  # 2: records' content as JSON text of its own


class RoleClass(StrEnum):
    PUBLIC = "public"
    ENTITLED = "entitled"


STAMP_TTL_SECONDS = 2 * TTL_SECONDS


def cache_key(subject_id: int, role_class: RoleClass) -> str:
    return f"profile:{subject_id}:{role_class.value}"


def stamp_key(subject_id: int) -> str:
    return f"profile:{subject_id}:rev"


async def stamp_revisions(broker: Broker, revisions: Mapping[int, int]) -> None:
    """Entries older than these revisions are stale from now on. Called by the indexer after writing
    documents, and by every unit of work after its commit (`credit.outbox.work`)."""
    # Never lowered: a worker that built an older snapshot of the subject may report after a newer one.
    await broker.raise_to({stamp_key(sid): rev for sid, rev in revisions.items()}, STAMP_TTL_SECONDS)
    await broker.delete(*(cache_key(sid, rc) for sid in revisions for rc in RoleClass))


def _columns(model: type[Any]) -> list[str]:
    return [c.key for c in model.__table__.columns]


_SUBJECT = [c for c in _columns(Subject) if c not in ("personal_data", "code_index", "content_hash")]
_RECORD = [c for c in _columns(CreditRecord) if c != "content_hash"]
_OBJECTION = _columns(Objection)


def _dump_row(row: Any, columns: Sequence[str]) -> dict[str, Any]:
    return {c: getattr(row, c) for c in columns}


def _load_row(model: type[Any], data: dict[str, Any]) -> Any:
    values: dict[str, Any] = {}
    for column in model.__table__.columns:
        if column.key not in data:
            continue
        value = data[column.key]
        if value is not None:
            python_type = column.type.python_type
            if python_type is dt.date:
                value = dt.date.fromisoformat(value)
            elif python_type is dt.datetime:
                value = dt.datetime.fromisoformat(value)
            elif isinstance(python_type, type) and issubclass(python_type, StrEnum):
                value = python_type(value)
        values[column.key] = value
    return model(**values)


def _shallow(content: dict[str, Any]) -> dict[str, Any]:
    """What the rules read of a content (`credit.rules.facts`): first-level scalars and flat lists."""
    scalar = (str, int, float, bool, type(None))
    return {
        key: value
        for key, value in content.items()
        if isinstance(value, scalar) or (isinstance(value, list) and all(isinstance(v, scalar) for v in value))
    }


def _content_text(content: Any) -> str | None:
    if content is None:
        return None
    try:
        return orjson.dumps(content).decode()
    except (TypeError, ValueError):  # orjson stops at 255 levels (and at integers over 64 bits)
        pass
    try:
        return json.dumps(content, ensure_ascii=False, allow_nan=False)
    except (RecursionError, TypeError, ValueError):
        log.warning("profile cache: a record's content is too deep to cache; caching what the rules read")
        return orjson.dumps(_shallow(content) if isinstance(content, dict) else None).decode()


def _load_content(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # deeper than orjson reads: written by the standard library
        return json.loads(text)


def _dump_record(record: CreditRecord) -> dict[str, Any]:
    row = _dump_row(record, _RECORD)
    row["content"] = _content_text(row["content"])
    return row


def encode(profile: Profile) -> bytes:
    return orjson.dumps(
        {
            "v": _FORMAT,
            "subject": _dump_row(profile.subject, _SUBJECT),
            "records": [_dump_record(r) for r in profile.records],
            "objections": [_dump_row(o, _OBJECTION) for items in profile.objections.values() for o in items],
        }
    )


def decode(blob: bytes) -> Profile | None:
    data = orjson.loads(blob)
    if data.get("v") != _FORMAT:
        return None
    objections: dict[int, list[Objection]] = defaultdict(list)
    for item in data["objections"]:
        objection = _load_row(Objection, item)
        objections[objection.record_id].append(objection)
    return Profile(
        subject=_load_row(Subject, data["subject"]),
        records=[_load_row(CreditRecord, r | {"content": _load_content(r["content"])}) for r in data["records"]],
        objections=dict(objections),
    )


def for_role(profile: Profile, role_class: RoleClass, today: dt.date) -> Profile:
    if role_class is RoleClass.ENTITLED:
        return profile
    facts = profile.facts()
    shown = [r for r, f in zip(profile.records, facts, strict=True) if in_public_disclosure(f, today)]
    ids = {r.id for r in shown}
    return Profile(profile.subject, shown, {k: v for k, v in profile.objections.items() if k in ids})


class ProfileStore:
    """Profiles by subject id for one role class: cache first, PostgreSQL for the misses."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], broker: Broker | None) -> None:
        self.sessions = sessions
        self.broker = broker

    async def load(self, subject_ids: Sequence[int], role_class: RoleClass, today: dt.date) -> dict[int, Profile]:
        found: dict[int, Profile] = {}
        if self.broker is not None:
            try:
                keys = [k for sid in subject_ids for k in (stamp_key(sid), cache_key(sid, role_class))]
                values = await self.broker.get_many(keys)
                for sid, stamp, blob in zip(subject_ids, values[0::2], values[1::2], strict=True):
                    profile = decode(blob) if blob is not None and stamp is not None else None
                    if profile is not None and stamp is not None and profile.subject.revision >= int(stamp):
                        found[sid] = profile
            except Exception as exc:  # a failing cache costs a database read, never the request
                log.warning("profile cache read failed: %s", type(exc).__name__)
        missing = [sid for sid in subject_ids if sid not in found]
        if missing:
            async with self.sessions() as session:
                loaded = await read_profiles(session, missing)
            for sid, profile in loaded.items():
                shown = for_role(profile, role_class, today)
                found[sid] = shown
                if self.broker is not None:
                    try:
                        await self.broker.set(cache_key(sid, role_class), encode(shown), TTL_SECONDS)
                        revision = str(profile.subject.revision).encode()
                        await self.broker.set(stamp_key(sid), revision, STAMP_TTL_SECONDS, only_if_absent=True)
                    except Exception as exc:
                        log.warning("profile cache write failed: %s", type(exc).__name__)
        return {sid: for_role(p, role_class, today) for sid, p in found.items()}

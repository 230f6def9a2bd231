"""The baseline of bench.profile_throughput: a bare Starlette endpoint reading the same rows.

It looks the subject up by code (blind index), reads its records in public disclosure, and returns
the JSON shape of the GraphQL profile query, with no GraphQL, no cache and no flags catalogue.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import orjson
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from credit import clock
from credit.models import CreditRecord, Subject
from credit.platform.config import Settings
from credit.platform.crypto import vault_from_settings
from credit.platform.db import make_async_engine, session_factory
from credit.subjects.identifiers import normalize_any_code

settings = Settings()
engine = make_async_engine(settings.database_url or "", 10)
sessions = session_factory(engine)
vault = vault_from_settings(settings)


async def profile(request: Request) -> Response:
    code = normalize_any_code(orjson.loads(await request.body())["code"]) or ""
    async with sessions() as session:
        subject = await session.scalar(select(Subject).where(Subject.code_index == vault.blind_index(code)))
        if subject is None:
            return Response(orjson.dumps({"data": {"subject": None}}), media_type="application/json")
        records = (
            await session.scalars(
                select(CreditRecord)
                .where(CreditRecord.subject_id == subject.id, CreditRecord.status.in_(("ACTIVE", "UNDER_OBJECTION")))
                .where((CreditRecord.disclosure_until.is_(None)) | (CreditRecord.disclosure_until >= clock.today()))
                .order_by(CreditRecord.published_on.desc(), CreditRecord.id.desc())
                .limit(20)
            )
        ).all()
    body = {
        "data": {
            "subject": {
                "name": subject.name,
                "code": subject.code,
                "kind": subject.kind.value,
                "regionCode": subject.region_code,
                "creditProfile": {
                    "activeFlags": [],
                    "records": {
                        "totalCount": len(records),
                        "edges": [
                            {
                                "node": {
                                    "title": r.title,
                                    "category": r.category.value,
                                    "status": r.status.value,
                                    "authority": r.authority,
                                    "decidedOn": r.decided_on.isoformat(),
                                    "publishedOn": r.published_on.isoformat(),
                                }
                            }
                            for r in records
                        ],
                    },
                },
            }
        }
    }
    return Response(orjson.dumps(body), media_type="application/json")


async def health(request: Request) -> Response:
    return Response(b"ok")


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    yield
    await engine.dispose()


app = Starlette(routes=[Route("/profile", profile, methods=["POST"]), Route("/health", health)], lifespan=lifespan)

"""`subject(code:, id:)`: one subject's public profile."""

from __future__ import annotations

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from api.graphql.context import Context
from api.graphql.errors import BadUserInput, Forbidden
from api.graphql.types import Subject
from credit.checks.service import ID_LOOKUP, record_lookup
from credit.models import Subject as SubjectRow
from credit.subjects.identifiers import is_resident_id, normalize_any_code


async def subject_by_code(context: Context, code: str) -> SubjectRow | None:
    canonical = normalize_any_code(code)
    if canonical is None:
        raise BadUserInput("code is neither a valid 统一社会信用代码 nor a valid resident ID number")
    if is_resident_id(canonical) and not context.entitled:
        raise Forbidden("looking a natural person up by ID number needs an entitled role")
    async with context.runtime.sessions() as session:
        row: SubjectRow | None = await session.scalar(
            select(SubjectRow).where(SubjectRow.code_index == context.runtime.vault.blind_index(canonical))
        )
        if is_resident_id(canonical):  # an entitled look-up of a person by ID number leaves a trace
            found = [row.id] if row is not None else []
            await record_lookup(session, context.viewer, ID_LOOKUP, found, {"found": row is not None})
            await session.commit()
    return row


@strawberry.type
class SubjectQuery:
    @strawberry.field(description="A subject by its 统一社会信用代码 (or, for entitled roles, ID number) or id.")
    async def subject(
        self, info: Info[Context, None], code: str | None = None, id: strawberry.ID | None = None
    ) -> Subject | None:
        if (code is None) == (id is None):
            raise BadUserInput("give exactly one of code and id")
        if code is not None:
            row = await subject_by_code(info.context, code)
        else:
            try:
                key = int(str(id))
            except ValueError:
                raise BadUserInput("unknown id") from None
            row = await info.context.loaders.subject_by_id.load(key)
        return Subject(row=row) if row is not None else None

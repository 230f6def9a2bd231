"""`subject(code:, id:)`: one subject's public profile."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.graphql.context import Context
from api.graphql.errors import BadUserInput
from api.graphql.ids import id_argument
from api.graphql.subject_types import Region, Subject
from credit.subjects import service


@strawberry.type
class SubjectQuery:
    @strawberry.field(
        description="A subject by its 统一社会信用代码 (or, for entitled roles, ID number) or by id: its global id "
        "(Subject.id) or, as before global ids, its number (Subject.databaseId). Null when no subject has it; "
        "another type's global id is NOT_FOUND."
    )
    async def subject(
        self, info: Info[Context, None], code: str | None = None, id: strawberry.ID | None = None
    ) -> Subject | None:
        if (code is None) == (id is None):
            raise BadUserInput("give exactly one of code and id")
        if code is not None:
            row = await service.subject_by_code(info.context.runtime, info.context.viewer, code)
            if row is not None:  # its records' texts are cleaned with it: no second read
                info.context.loaders.subject_by_id.prime(row.id, row)
        else:
            row = await info.context.loaders.subject_by_id.load(id_argument(id, "id", "Subject"))
        return Subject(row=row) if row is not None else None

    @strawberry.field(
        description="Current administrative divisions (行政区划) by name in simplified or traditional characters, "
        "short form (常州, 天宁) or code prefix (3204), best first, at most 20: exact names, then names starting "
        "with the query, provinces before cities before counties. Give a region's `prefix` as a filter's "
        "regionCodePrefix (which also takes an unambiguous name)."
    )
    def regions(self, query: str) -> list[Region]:
        return [region for match in service.regions(query) if (region := Region.of(match.code)) is not None]

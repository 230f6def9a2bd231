"""`searchSubjects`: fuzzy name and code search over the index, subjects read back from PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable

import strawberry
from strawberry.types import Info
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from api.graphql.context import Context
from api.graphql.cursors import check_first
from api.graphql.enums import RecordCategory, SubjectKind
from api.graphql.types import PageInfo, Subject
from credit.search import service
from credit.search.query import SearchFilter


@strawberry.input
class SubjectFilter:
    kinds: list[SubjectKind] | None = None
    region_code_prefix: str | None = None
    has_active_punishment: bool | None = None
    categories: list[RecordCategory] | None = None


@strawberry.type
class SubjectSearchEdge:
    cursor: str
    node: Subject
    score: float
    highlights: list[str]


@strawberry.type
class FacetBucket:
    value: str
    count: int


@strawberry.type
class Facet:
    name: str
    buckets: list[FacetBucket]


@strawberry.type
class SubjectSearchConnection:
    edges: list[SubjectSearchEdge]
    page_info: PageInfo
    total_count: int
    facets: list[Facet]


def _excluded(directives: dict[str, dict[str, object]]) -> bool:
    """Whether `@skip(if: true)` or `@include(if: false)` leaves the selection out."""
    return directives.get("skip", {}).get("if") is True or directives.get("include", {}).get("if") is False


def selects(selections: Iterable[Selection], name: str) -> bool:
    """Whether the selection set asks for the field `name`, directly or through fragments."""
    for selection in selections:
        if _excluded(selection.directives):
            continue
        if isinstance(selection, FragmentSpread | InlineFragment):
            if selects(selection.selections, name):
                return True
        elif selection.name == name:
            return True
    return False


def selects_child(info: Info[Context, None], name: str) -> bool:
    """Whether the current field's selection (over all its field nodes) includes the child `name`."""
    return any(
        selects(field.selections, name)
        for field in info.selected_fields
        if isinstance(field, SelectedField) and not _excluded(field.directives)
    )


@strawberry.type
class SearchQuery:
    @strawberry.field(description="Subjects by name (any script, pinyin, initials, typos, former names) or code.")
    async def search_subjects(
        self,
        info: Info[Context, None],
        query: str,
        filter: SubjectFilter | None = None,
        first: int | None = 10,
        after: str | None = None,
    ) -> SubjectSearchConnection:
        context = info.context
        first = check_first(10 if first is None else first)
        search_filter = SearchFilter(
            kinds=tuple(filter.kinds or ()) if filter else (),
            region_code_prefix=filter.region_code_prefix if filter else None,
            has_active_punishment=filter.has_active_punishment if filter else None,
            categories=tuple(filter.categories or ()) if filter else (),
        )
        page = await service.search(
            context.runtime,
            context.viewer,
            query,
            search_filter,
            first=first,
            after=after,
            # Facet aggregations cost a pass over every hit: only when the client shows them.
            with_facets=selects_child(info, "facets"),
        )
        rows = await context.loaders.subject_by_id.load_many([hit.id for hit in page.hits])
        edges = [
            SubjectSearchEdge(
                cursor=hit.cursor, node=Subject(row=row), score=hit.score, highlights=list(hit.highlights)
            )
            for hit, row in zip(page.hits, rows, strict=True)
            if row is not None
        ]
        return SubjectSearchConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=page.total,
            facets=[
                Facet(name=name, buckets=[FacetBucket(value=b.value, count=b.count) for b in buckets])
                for name, buckets in page.facets.items()
            ],
        )

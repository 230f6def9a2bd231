"""`searchSubjects`: fuzzy name and code search over the index, subjects read back from PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable

import strawberry
from strawberry.types import Info
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from api.graphql.context import Context
from api.graphql.cursors import check_first
from api.graphql.enums import RecordCategory, SubjectKind
from api.graphql.subject_types import Subject
from api.graphql.types import PageInfo
from credit.search import service
from credit.search.query import SearchFilter


@strawberry.input
class SubjectFilter:
    kinds: list[SubjectKind] | None = None
    region_code_prefix: str | None = strawberry.field(
        default=None,
        description=(
            "Subjects registered in a division: 1 to 6 digits of its code (32, 3204, 320402), or the name "
            "of one current division in any script, short or full (江苏, 常州, 常州市, 天宁区, 江苏省常州市). "
            "A name that several divisions share (鼓楼区) is refused with BAD_USER_INPUT, listing their codes."
        ),
    )
    has_active_punishment: bool | None = None
    categories: list[RecordCategory] | None = None


@strawberry.type
class SubjectSearchEdge:
    cursor: str
    node: Subject
    score: float
    highlights: list[str] = strawberry.field(
        description=(
            "The name and former names the query matched, HTML-escaped, the matched characters marked "
            "<em>…</em>, whatever the query's form (hanzi, traditional script, pinyin, initials, mixed)."
        )
    )


@strawberry.type
class FacetBucket:
    value: str
    label: str = strawberry.field(
        description=(
            "What to show for the value: the region's name (江苏省, 常州市), the category's Chinese name "
            "(行政许可, 行政处罚, 红名单, 黑名单, 失信被执行人, 信用承诺, 信用评价), the kind's "
            "(企业法人, 自然人, 机关, 其他组织), 是/否 for yes/no facets; the value itself when it has no name."
        )
    )
    count: int


@strawberry.type
class Facet:
    name: str
    buckets: list[FacetBucket] = strawberry.field(
        description=(
            "At most every kind, category and province, 2 for yes/no facets and the 20 largest cities; "
            "largest count first, equal counts by value."
        )
    )


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
                Facet(
                    name=name,
                    buckets=[FacetBucket(value=b.value, label=b.label, count=b.count) for b in buckets],
                )
                for name, buckets in page.facets.items()
            ],
        )

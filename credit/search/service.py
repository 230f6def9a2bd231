"""`searchSubjects`: run one subject search against the `subjects` alias and shape the page.

`search` is the entry point: it decides whether the viewer may find persons by ID number (and audits
such a search), and turns the engine's unavailability into `ServiceUnavailable`. `search_subjects`
is the engine call itself, shared with the benchmarks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from elasticsearch import ApiError, AsyncElasticsearch, TransportError

from credit.access.policy import Capability, can
from credit.access.viewer import Viewer
from credit.checks.audit import ID_SEARCH, record_lookup
from credit.errors import ServiceUnavailable
from credit.platform.crypto import Vault
from credit.platform.runtime import Runtime
from credit.search.facets import FacetBucket, facets
from credit.search.highlight import highlights
from credit.search.query import (
    MAX_RESULT_WINDOW,
    Cursor,
    SearchFilter,
    SearchInputError,
    build_search_body,
    decode_cursor,
    encode_cursor,
    position_hits,
    search_after_values,
    validate_page_size,
    validate_query,
)
from credit.subjects.identifiers import is_resident_id, normalize_any_code


@dataclass(frozen=True, slots=True)
class SearchHit:
    id: int
    score: float
    highlights: tuple[str, ...]  # fragments of name / former names with <em> marks
    source: dict[str, Any]  # the indexed display fields (masked for natural persons)
    cursor: str


@dataclass(frozen=True, slots=True)
class SearchPage:
    hits: tuple[SearchHit, ...]
    total: int
    facets: dict[str, tuple[FacetBucket, ...]]
    end_cursor: str | None
    has_next_page: bool


def _hit(raw: dict[str, Any], cursor: Cursor, query: str) -> SearchHit:
    source = raw.get("_source", {})
    former = source.get("former_names") or []
    values = [source.get("name") or "", *(f for f in former if isinstance(f, str))]
    return SearchHit(
        id=cursor.id,
        score=cursor.score,
        highlights=highlights(query, values),
        source=source,
        cursor=encode_cursor(cursor),
    )


def _total(hits: dict[str, Any]) -> int:
    total = hits.get("total", 0)
    return int(total["value"] if isinstance(total, dict) else total)


async def search_subjects(
    client: AsyncElasticsearch,
    alias: str,
    vault: Vault,
    query: str,
    filter: SearchFilter | None = None,
    first: int = 10,
    after: str | None = None,
    allow_id_lookup: bool = False,
    *,
    with_facets: bool = True,
) -> SearchPage:
    """One page of subjects matching `query`, best first; SearchInputError for input to fix.

    `allow_id_lookup` lets an exact resident ID number find its person through the blind index; the
    caller grants it only to entitled roles, on a purpose-bound query that it audits. Without
    `with_facets` the aggregations are skipped (and `facets` is empty): ask for them only when shown.
    """
    validate_query(query)
    size = validate_page_size(first)
    cursor = decode_cursor(after) if after is not None else None
    # One more than asked, to know whether there is a next page, plus the hits of equal score that
    # the cursor's page already delivered (see `Cursor`).
    fetch = size + 1 + (cursor.tie_rank if cursor else 0)
    if fetch > MAX_RESULT_WINDOW:
        raise SearchInputError("after is too deep into equally ranked results; refine the query")
    body = build_search_body(
        query,
        filter=filter or SearchFilter(),
        size=fetch,
        search_after=search_after_values(cursor) if cursor else None,
        vault=vault,
        allow_id_lookup=allow_id_lookup,
        facets=with_facets,
    )
    response = await client.search(index=alias, body=body)
    positioned = position_hits(response["hits"]["hits"], cursor)
    hits = tuple(_hit(raw, position, query) for raw, position in positioned[:size])
    return SearchPage(
        hits=hits,
        total=_total(response["hits"]),
        facets=facets(response.body.get("aggregations", {})),
        end_cursor=hits[-1].cursor if hits else None,
        has_next_page=len(positioned) > size,
    )


log = logging.getLogger("creditgraph.search")

SEARCH_DOWN = "search is temporarily unavailable; subject(code:) still answers"


def _engine_not_ready(exc: ApiError) -> bool:
    """Overloaded, failing, or up without our index yet (the indexer is creating it)."""
    return exc.meta.status >= 500 or exc.meta.status == 429 or exc.error == "index_not_found_exception"


async def search(
    runtime: Runtime,
    viewer: Viewer,
    query: str,
    filter: SearchFilter | None = None,
    first: int = 10,
    after: str | None = None,
    *,
    with_facets: bool = True,
) -> SearchPage:
    """One page of `searchSubjects` for `viewer`: SearchInputError for input to fix, ServiceUnavailable
    while the engine cannot answer. A search by a person's ID number (entitled roles only) is audited."""
    if runtime.search is None:
        raise ServiceUnavailable(SEARCH_DOWN)
    entitled = can(viewer, Capability.READ_INACTIVE)
    try:
        page = await search_subjects(
            runtime.search,
            runtime.alias,
            runtime.vault,
            query,
            filter,
            first=first,
            after=after,
            allow_id_lookup=entitled,
            with_facets=with_facets,
        )
    except (TransportError, ApiError) as exc:
        if isinstance(exc, ApiError) and not _engine_not_ready(exc):
            raise  # a request the engine refused is a bug of ours: logged, shown masked
        log.warning("search engine unavailable: %s", type(exc).__name__)
        raise ServiceUnavailable(SEARCH_DOWN) from None
    if entitled and is_resident_id(normalize_any_code(query) or ""):
        found = [hit.id for hit in page.hits]
        async with runtime.sessions.begin() as session:
            await record_lookup(session, viewer, ID_SEARCH, found, {"hits": len(found)})
    return page

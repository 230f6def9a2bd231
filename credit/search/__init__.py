"""Subject search: index configuration and management, documents, queries and the search service.

The index lives behind the `subjects` alias (`Settings.subjects_alias`); its settings and mappings
are package data in `search_config/subjects.json`, explained in `search_config/README.md`.
"""

from __future__ import annotations

from credit.search.client import (
    create_versioned_index,
    detect_flavor,
    ensure_alias,
    make_search_client,
    open_search_client,
    swap_alias,
)
from credit.search.document import SubjectSnapshot, build_document
from credit.search.query import (
    MAX_PAGE_SIZE,
    MAX_QUERY_LENGTH,
    Cursor,
    SearchFilter,
    SearchInputError,
    build_search_body,
    decode_cursor,
    encode_cursor,
    validate_query,
)
from credit.search.service import FacetBucket, SearchHit, SearchPage, search_subjects

__all__ = [
    "MAX_PAGE_SIZE",
    "MAX_QUERY_LENGTH",
    "Cursor",
    "FacetBucket",
    "SearchFilter",
    "SearchHit",
    "SearchInputError",
    "SearchPage",
    "SubjectSnapshot",
    "build_document",
    "build_search_body",
    "create_versioned_index",
    "decode_cursor",
    "detect_flavor",
    "encode_cursor",
    "ensure_alias",
    "make_search_client",
    "open_search_client",
    "search_subjects",
    "swap_alias",
    "validate_query",
]

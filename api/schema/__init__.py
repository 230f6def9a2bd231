"""The GraphQL schema, assembled from one module per area."""

from __future__ import annotations

from collections.abc import Callable

import strawberry
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)

from api.errors import is_expected
from api.schema.search import SearchQuery
from api.schema.subjects import SubjectQuery
from credit.config import Settings


@strawberry.type
class Query(SubjectQuery, SearchQuery):
    pass


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    # Factories, so that each request gets fresh extension instances.
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: QueryDepthLimiter(max_depth=12),
        lambda: MaxAliasesLimiter(max_alias_count=30),
        lambda: MaxTokensLimiter(max_token_count=3000),
        lambda: ParserCache(maxsize=1024),
        lambda: ValidationCache(maxsize=1024),
        lambda: MaskErrors(should_mask_error=lambda error: not is_expected(error)),
    ]
    if settings is not None and settings.is_production:
        extensions.append(lambda: AddValidationRules([NoSchemaIntrospectionCustomRule]))
    return strawberry.Schema(query=Query, extensions=extensions)


# For `strawberry export-schema api.schema:schema` (the committed schema.graphql).
schema = build_schema()

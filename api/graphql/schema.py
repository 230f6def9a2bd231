"""The GraphQL schema, assembled from one module per area."""

from __future__ import annotations

from collections.abc import Callable

import strawberry
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, SchemaExtension

from api.graphql.checks import CheckQuery
from api.graphql.disclosures import DisclosureQuery, DisclosureSubscription
from api.graphql.errors import ErrorCodes
from api.graphql.ids import Node
from api.graphql.measures import MeasureQuery
from api.graphql.nodes import NodeQuery
from api.graphql.objections import ObjectionMutation, ObjectionQuery
from api.graphql.records import RecordMutation
from api.graphql.rendering import SharedEventExecutor
from api.graphql.repairs import RepairMutation, RepairQuery
from api.graphql.search import SearchQuery
from api.graphql.subjects import SubjectQuery
from api.guard.query import GuardedSchema, GuardPolicy, QueryGuard
from credit.platform.config import Settings


@strawberry.type
class Query(
    SubjectQuery, SearchQuery, ObjectionQuery, CheckQuery, DisclosureQuery, RepairQuery, NodeQuery, MeasureQuery
):
    pass


@strawberry.type
class Mutation(ObjectionMutation, RepairMutation, RecordMutation):
    pass


@strawberry.type
class Subscription(DisclosureSubscription):
    pass


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    # The guard parses, measures, rate-limits and validates (with caches) before anything runs; it
    # replaces strawberry's depth, alias and token limiters and its parser and validation caches.
    policy = GuardPolicy(settings or Settings.model_construct())
    # Factories, so that each request gets fresh extension instances.
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: QueryGuard(policy),
        ErrorCodes,
    ]
    if settings is not None and settings.is_production:
        extensions.append(lambda: AddValidationRules([NoSchemaIntrospectionCustomRule]))
    return GuardedSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        types=[Node],
        hide_suggestions=policy.hide_suggestions,
        # Subscription events rendered once per role class and operation (api/graphql/rendering.py).
        execution_context_class=SharedEventExecutor,
    )


# For `strawberry export-schema api.graphql.schema:schema` (the committed schema.graphql).
schema = build_schema()

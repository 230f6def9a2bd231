"""GraphQL errors of the contract: each carries `extensions.code`; messages never hold personal data
(and every message, GraphQL's own included, which may quote a literal of the document, is cleaned of
identifiers by `credit.privacy.view.clean_message` on its way out).

The services raise domain errors (`credit.errors`); `ErrorCodes` — the schema's error extension —
gives each its code in this one place, whichever resolver it came through, and masks everything
else ("Unexpected error.", logged by the schema). Resolvers raise the `ApiError` classes below only
for what is the transport's own business (an argument that is not an id, a cursor of another kind).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from credit.errors import DomainError, InvalidRequest, NotAllowed, NotFoundError, ServiceUnavailable
from credit.platform.db import DATABASE_RETRY_AFTER, database_unavailable
from credit.privacy.view import clean_message
from credit.records.ingest import Problem

INTERNAL: Final = "INTERNAL_SERVER_ERROR"
UNAUTHENTICATED: Final = "UNAUTHENTICATED"
FORBIDDEN: Final = "FORBIDDEN"
BAD_USER_INPUT: Final = "BAD_USER_INPUT"
NOT_FOUND: Final = "NOT_FOUND"
RATE_LIMITED: Final = "RATE_LIMITED"
QUERY_TOO_COMPLEX: Final = "QUERY_TOO_COMPLEX"
SERVICE_UNAVAILABLE: Final = "SERVICE_UNAVAILABLE"

#: The code of each kind of domain error (the most specific class that matches wins).
DOMAIN_CODES: Final[Mapping[type[DomainError], str]] = {
    InvalidRequest: BAD_USER_INPUT,
    NotAllowed: FORBIDDEN,
    NotFoundError: NOT_FOUND,
    ServiceUnavailable: SERVICE_UNAVAILABLE,
}

#: The code of each kind of refused item in a batch (`upsertRecords`).
PROBLEM_CODES: Final[Mapping[Problem, str]] = {
    Problem.INVALID: BAD_USER_INPUT,
    Problem.DUPLICATE: BAD_USER_INPUT,
    Problem.UNKNOWN_SUBJECT: NOT_FOUND,
    Problem.FORBIDDEN: FORBIDDEN,
}


class ApiError(GraphQLError):
    code = INTERNAL

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": self.code, **extensions})


class Unauthenticated(ApiError):
    code = UNAUTHENTICATED


class Forbidden(ApiError):
    code = FORBIDDEN


class BadUserInput(ApiError):
    code = BAD_USER_INPUT


class NotFound(ApiError):
    code = NOT_FOUND


class RateLimited(ApiError):
    code = RATE_LIMITED


class QueryTooComplex(ApiError):
    code = QUERY_TOO_COMPLEX


def domain_code(exc: DomainError) -> str:
    for cls in type(exc).__mro__:
        if cls in DOMAIN_CODES:
            return DOMAIN_CODES[cls]
    return BAD_USER_INPUT


def is_variable_error(error: GraphQLError) -> bool:
    """A variable's value that graphql-core could not coerce to its type (a wrong type, an unknown enum
    value, an impossible date): a request error without a path, wrapping the type's own GraphQLError."""
    return error.path is None and isinstance(error.original_error, GraphQLError)


def is_expected(error: GraphQLError) -> bool:
    """Errors the client may see as they are: ours, the services' refusals, and GraphQL's own."""
    original = error.original_error
    if original is None:
        return True  # parse and validation errors describe the document, not the server
    return isinstance(original, ApiError | DomainError) or is_variable_error(error) or database_unavailable(original)


class ErrorCodes(MaskErrors):
    """Give every domain error its `extensions.code`; mask what no rule explains."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda error: not is_expected(error))

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        for error in errors:
            original = error.original_error
            if isinstance(original, DomainError):
                error.message = original.message
                error.extensions = {**(error.extensions or {}), "code": domain_code(original)}
            elif is_variable_error(error) and not (error.extensions or {}).get("code"):
                # "Variable '$d' got invalid value … at 'd[3].decidedOn'; …": names the variable and where.
                error.extensions = {**(error.extensions or {}), "code": BAD_USER_INPUT}
            elif original is not None and database_unavailable(original):
                # PostgreSQL unreachable: the HTTP layer answers 503 with this Retry-After (api/http/app.py).
                error.message = "the database is unavailable; retry later"
                extensions = {"code": SERVICE_UNAVAILABLE, "retryAfter": DATABASE_RETRY_AFTER}
                error.extensions = {**(error.extensions or {}), **extensions}
            error.message = clean_message(error.message)
        return super()._process_errors(errors)

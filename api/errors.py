"""GraphQL errors of the contract: each carries `extensions.code`; messages never hold personal data."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError


class ApiError(GraphQLError):
    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": self.code, **extensions})


class Unauthenticated(ApiError):
    code = "UNAUTHENTICATED"


class Forbidden(ApiError):
    code = "FORBIDDEN"


class BadUserInput(ApiError):
    code = "BAD_USER_INPUT"


class NotFound(ApiError):
    code = "NOT_FOUND"


class RateLimited(ApiError):
    code = "RATE_LIMITED"


class QueryTooComplex(ApiError):
    code = "QUERY_TOO_COMPLEX"


def is_expected(error: GraphQLError) -> bool:
    """Errors the client may see as they are: ours, and GraphQL validation errors."""
    original = error.original_error
    if original is None:
        return True  # parse and validation errors describe the document, not the server
    return isinstance(original, ApiError)

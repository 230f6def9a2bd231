"""GraphQL errors of the contract: each carries `extensions.code`; messages never hold personal data."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError

from credit.errors import DomainError, InvalidRequest, NotAllowed, NotFoundError


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


class ServiceUnavailable(ApiError):
    """A backing service (the search engine) does not answer; the request may be retried."""

    code = "SERVICE_UNAVAILABLE"


def is_expected(error: GraphQLError) -> bool:
    """Errors the client may see as they are: ours, and GraphQL validation errors."""
    original = error.original_error
    if original is None:
        return True  # parse and validation errors describe the document, not the server
    return isinstance(original, ApiError)


_DOMAIN_CODES: dict[type[DomainError], type[ApiError]] = {
    InvalidRequest: BadUserInput,
    NotAllowed: Forbidden,
    NotFoundError: NotFound,
}


def from_domain(exc: DomainError) -> ApiError:
    """The API error of a refused command: BAD_USER_INPUT, FORBIDDEN or NOT_FOUND, same message."""
    for domain_class, api_class in _DOMAIN_CODES.items():
        if isinstance(exc, domain_class):
            return api_class(exc.message)
    return BadUserInput(exc.message)


@contextlib.contextmanager
def domain_errors() -> Iterator[None]:
    """Re-raise the domain errors of the services inside the block as API errors."""
    try:
        yield
    except DomainError as exc:
        raise from_domain(exc) from None


def id_argument(value: object, name: str) -> int:
    """A numeric `ID!` argument as an int; BAD_USER_INPUT naming the argument when it is not one."""
    try:
        number = int(str(value))
    except ValueError:
        raise BadUserInput(f"{name} is not a valid id") from None
    if number < 1 or number >= 2**63:
        raise BadUserInput(f"{name} is not a valid id")
    return number

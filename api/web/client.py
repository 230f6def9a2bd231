"""The website as an anonymous GraphQL client, in-process.

A page's first view runs the page's own operation (`queries.graphql`) against the API's schema with
an anonymous viewer — the request's address, budget and penalty box, as a GET of /graphql without a
key would. So the page shows exactly what the public API gives anyone: natural persons masked by the
types of `api.graphql.types`, Chinese labels from the `*Label` fields, statuses derived for today, and
every error with its `extensions.code`. Nothing here reads the database or the index itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from strawberry.schema.base import BaseSchema

from api.graphql.context import Context
from api.web.queries import document
from credit.access.viewer import ANONYMOUS

#: The page's HTTP status for an error code of the API (anything else is a 500).
STATUS: dict[str, int] = {
    "BAD_USER_INPUT": 400,
    "GRAPHQL_VALIDATION_FAILED": 400,
    "QUERY_TOO_COMPLEX": 400,
    "NOT_FOUND": 404,
    "FORBIDDEN": 404,  # e.g. a person's ID number in the path: not found, whatever the reason
    "RATE_LIMITED": 429,
    "SERVICE_UNAVAILABLE": 503,
}
_KEPT_HEADERS = ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "retry-after")


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    message: str

    @property
    def status(self) -> int:
        return STATUS.get(self.code, 500)


@dataclass(frozen=True, slots=True)
class Answer:
    data: dict[str, Any] | None
    problems: tuple[Problem, ...]
    headers: dict[str, str]

    @property
    def problem(self) -> Problem | None:
        return self.problems[0] if self.problems else None


async def run(schema: BaseSchema, request: Request, operation: str, variables: dict[str, Any]) -> Answer:
    """Run the website's operation `operation` as an anonymous client of the API."""
    runtime = request.app.state.runtime
    sink = Response()  # collects the RateLimit-* (and Retry-After) headers the query guard sets
    context = Context(runtime=runtime, viewer=ANONYMOUS, request=request, response=sink)
    result = await schema.execute(document(operation), variables, context_value=context, operation_name=operation)
    problems = tuple(
        Problem(code=str((error.extensions or {}).get("code", "INTERNAL_SERVER_ERROR")), message=error.message)
        for error in result.errors or ()
    )
    headers = {name: value for name, value in sink.headers.items() if name.lower() in _KEPT_HEADERS}
    return Answer(data=result.data, problems=problems, headers=headers)

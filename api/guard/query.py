"""The query guard: every operation is parsed, measured, charged and validated before it runs.

`QueryGuard` (a schema extension) takes the place of strawberry's MaxTokensLimiter,
QueryDepthLimiter, MaxAliasesLimiter, ParserCache and ValidationCache, so that each refusal carries
the contract's code and costs as little as possible:

1. read the document (`api.guard.precheck`): its length, then its tokens (one linear pass of a
   regular expression, with a time cap, before the much slower lexer), then parse it (cached), a long
   document in a worker thread: a document too long, with too many tokens or nested too deeply is
   refused with QUERY_TOO_COMPLEX, other syntax errors with GRAPHQL_PARSE_FAILED; then its literals
   and the variables (numbers too long, NUL, lone surrogates, nesting): BAD_USER_INPUT naming them;
2. measure the operation (`api.guard.complexity`): depth, aliases, fields, operations per document and
   cost, QUERY_TOO_COMPLEX past a limit; `first` outside 1 … 100 is BAD_USER_INPUT;
3. charge its cost to the request's budget, the key's or for an anonymous request the address's
   (`api.guard.ratelimit`): RATE_LIMITED with `extensions.retryAfter`, HTTP 429 and `Retry-After` when
   it is spent; the answer carries the cost in `extensions.cost` and the budget's RateLimit-* headers;
4. validate (cached), GRAPHQL_VALIDATION_FAILED; the validation rules run only on documents that
   passed 1–3, so no quadratic rule ever sees a thousand aliases.

Nothing of this touches the database or the search engine. `GuardedSchema` completes it: it gives
request errors their code, strips "Did you mean …?" suggestions in production, and logs only the
errors that are the server's fault (a flood of refused documents must not become a flood of logs).
"""

from __future__ import annotations

import functools
import re
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import strawberry
from graphql import DocumentNode, GraphQLError, GraphQLSchema, GraphQLSyntaxError, parse
from graphql.validation import ASTValidationRule
from starlette.requests import HTTPConnection
from starlette.responses import Response
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext
from strawberry.utils.logging import StrawberryLogger

from api.graphql.context import Context
from api.graphql.errors import BadUserInput, QueryTooComplex, RateLimited, is_expected
from api.guard.admission import Admission
from api.guard.complexity import BadPageSize, Limits, TooComplex, analyze
from api.guard.precheck import DocumentReader, DocumentRefused, literal_problem, variables_problem
from api.guard.ratelimit import RateLimiter
from credit.platform.config import Settings

PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
_SUGGESTION = re.compile(r"\s*Did you mean\b.*$", re.DOTALL)

Validate = Callable[[GraphQLSchema, DocumentNode, tuple[type[ASTValidationRule], ...]], list[GraphQLError]]


class GuardPolicy:
    """The limits and caches shared by the guards of all requests (one per schema)."""

    def __init__(self, settings: Settings, cache_size: int = 1024) -> None:
        self.limits = Limits(
            max_depth=settings.max_query_depth,
            max_aliases=settings.max_query_aliases,
            max_nodes=settings.max_query_nodes,
            max_cost=settings.max_query_cost,
            max_operations=settings.max_operations_per_document,
        )
        self.max_tokens = settings.max_query_tokens
        self.hide_suggestions = settings.is_production
        self.parse: Callable[[str], DocumentNode] = functools.lru_cache(maxsize=cache_size)(
            functools.partial(parse, max_tokens=self.max_tokens)
        )
        self.validate: Validate = functools.lru_cache(maxsize=cache_size)(validate_document)
        self.reader = DocumentReader(
            max_length=settings.max_query_length,
            max_tokens=self.max_tokens,
            max_seconds=settings.max_query_check_seconds,
            parse=self.parse,
        )


def refused_parse(error: Exception) -> GraphQLError:
    """The client's error for a document that did not parse."""
    if isinstance(error, GraphQLSyntaxError):
        if "Parsing aborted" in error.message:  # too many tokens, or nested too deeply
            return QueryTooComplex(error.message.removeprefix("Syntax Error: "))
        error.extensions = {**(error.extensions or {}), "code": PARSE_FAILED}
        return error
    if isinstance(error, RecursionError):
        return QueryTooComplex("the document is nested too deeply")
    return QueryTooComplex("the document could not be parsed")


class QueryGuard(SchemaExtension):
    def __init__(self, policy: GuardPolicy) -> None:
        self.policy = policy
        self.cost: int | None = None

    def _scope(self) -> tuple[Context, RateLimiter | None, Admission | None] | None:
        context = self.execution_context.context
        if not isinstance(context, Context):
            return None
        request: HTTPConnection = context.request
        state = getattr(request.scope.get("app"), "state", None)
        limiter = getattr(state, "rate_limiter", None)
        admission = getattr(state, "admission", None)
        return (
            context,
            limiter if isinstance(limiter, RateLimiter) else None,
            admission if isinstance(admission, Admission) else None,
        )

    async def _charge(self, cost: int | None) -> int | None:
        """Charge `cost` (None: the flat cost of a refused document) to the request's budget (its key's,
        or its address's); the retry-after seconds when spent. The RateLimit-* headers go on the answer."""
        scope = self._scope()
        if scope is None:
            return None
        context, limiter, admission = scope
        if limiter is None or admission is None:
            return None
        budgets = admission.budgets(context.request, context.viewer)
        broker = context.runtime.broker
        if cost is None:
            usage = await limiter.charge_rejected(broker, budgets)
        else:
            usage = await limiter.charge(broker, budgets, cost)
        admission.record(context.request, usage)
        response = context.response
        if usage is not None and isinstance(response, Response):
            for name, value in usage.headers().items():
                response.headers[name] = value
        return usage.retry_after if usage is not None else None

    def _rate_limited(self, retry_after: int) -> GraphQLError:
        scope = self._scope()
        response = scope[0].response if scope is not None else None
        if isinstance(response, Response):
            response.status_code = 429
            response.headers["Retry-After"] = str(retry_after)
        return RateLimited(f"rate limit reached; retry in {retry_after} s", retryAfter=retry_after)

    def get_results(self) -> dict[str, Any]:
        """`extensions.cost`: what the operation was charged (api/guard/complexity.py), so a client
        can pace itself against its budget (the RateLimit-* headers)."""
        return {"cost": self.cost} if self.cost is not None else {}

    def on_operation(self) -> Iterator[None]:
        self.execution_context.parse_options["max_tokens"] = self.policy.max_tokens
        yield

    async def on_parse(self) -> AsyncIterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query:
            try:
                context.graphql_document = await self.policy.reader.read(context.query)
            except DocumentRefused as exc:
                retry = await self._charge(None)
                raise self._rate_limited(retry) if retry else QueryTooComplex(exc.message) from None
            except (GraphQLError, RecursionError) as exc:
                retry = await self._charge(None)
                raise self._rate_limited(retry) if retry else refused_parse(exc) from None
        yield

    async def on_validate(self) -> AsyncIterator[None]:
        context = self.execution_context
        context.pre_execution_errors = await self._check(context)
        yield

    async def _check(self, context: ExecutionContext) -> list[GraphQLError]:
        document = context.graphql_document
        assert document is not None
        schema = context.schema._schema
        if (problem := literal_problem(document) or variables_problem(context.variables)) is not None:
            retry = await self._charge(None)
            refusal = BadUserInput(problem.message, **{problem.kind: problem.where})
            return [self._rate_limited(retry) if retry else refusal]
        try:
            analysis = analyze(schema, document, context.operation_name, context.variables, self.policy.limits)
        except TooComplex as exc:
            retry = await self._charge(None)
            return [self._rate_limited(retry) if retry else QueryTooComplex(exc.message)]
        except BadPageSize as exc:
            retry = await self._charge(None)
            return [self._rate_limited(retry) if retry else BadUserInput(exc.message)]
        self.cost = analysis.cost
        retry = await self._charge(analysis.cost)
        if retry is not None:
            return [self._rate_limited(retry)]
        return list(self.policy.validate(schema, document, tuple(context.validation_rules)))


class GuardedSchema(strawberry.Schema):
    """The schema: request errors get a code, suggestions go in production, only bugs are logged."""

    def __init__(self, *args: Any, hide_suggestions: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hide_suggestions = hide_suggestions

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        for error in errors:
            if self.hide_suggestions and "Did you mean" in error.message:
                error.message = _SUGGESTION.sub("", error.message)
            if not error.path and error.original_error is None and not (error.extensions or {}).get("code"):
                code = PARSE_FAILED if isinstance(error, GraphQLSyntaxError) else VALIDATION_FAILED
                error.extensions = {**(error.extensions or {}), "code": code}
            if not is_expected(error):
                StrawberryLogger.error(error, execution_context)

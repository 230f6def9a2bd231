"""The ASGI application: Starlette routes, the GraphQL endpoint, and the in-process indexer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from api.auth import AuthError, bearer_token, viewer_for_key
from api.context import Context
from api.schema import build_schema
from credit.config import Settings, get_settings
from credit.runtime import Runtime, SearchMode, open_runtime
from credit.search.client import ensure_alias
from indexers.reindex import reindex
from indexers.worker import Indexer

log = logging.getLogger("creditgraph.api")


class GraphQLApp(GraphQL[Context, None]):
    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        runtime: Runtime = request.app.state.runtime
        viewer = request.scope["creditgraph.viewer"]
        return Context(runtime=runtime, viewer=viewer, request=request, response=response)


def _unauthenticated(message: str) -> JSONResponse:
    body = {"data": None, "errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]}
    return JSONResponse(body, status_code=401)


def create_app(
    settings: Settings | None = None, *, run_worker: bool = True, runtime: Runtime | None = None
) -> Starlette:
    """The app; with `runtime` given (tests), its clients are used and not closed by the app."""
    settings = settings or get_settings()
    schema = build_schema(settings)
    graphql = GraphQLApp(schema, graphql_ide=None if settings.is_production else "graphiql")

    async def graphql_endpoint(request: Request) -> Response:
        try:
            viewer = await viewer_for_key(request.app.state.runtime, bearer_token(request))
        except AuthError as exc:
            return _unauthenticated(exc.message)
        request.scope["creditgraph.viewer"] = viewer
        response: Response = await graphql.run(request)
        return response

    async def graphql_ws(websocket: WebSocket) -> None:
        from credit.keys import ANONYMOUS

        websocket.scope["creditgraph.viewer"] = ANONYMOUS
        await graphql.run(websocket)

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            rt = runtime
            if rt is None:
                rt = await stack.enter_async_context(open_runtime(settings, search=SearchMode.OWN))
            app.state.runtime = rt
            if rt.search is not None:
                await prepare_index(rt)
            stop = asyncio.Event()
            tasks: list[asyncio.Task[Any]] = []
            if run_worker and rt.search is not None:
                tasks.append(asyncio.create_task(Indexer(rt).run(stop), name="indexer"))
            try:
                yield
            finally:
                stop.set()
                for task in tasks:
                    task.cancel()
                for task in tasks:
                    with contextlib.suppress(asyncio.CancelledError):
                        await task

    routes = [
        Route("/graphql", graphql_endpoint, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql_ws),
        Route("/health", health),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


async def prepare_index(runtime: Runtime) -> None:
    """Make sure the alias exists; an empty embedded engine is filled from PostgreSQL first."""
    assert runtime.search is not None
    if runtime.search_is_new:
        summary = await reindex(runtime)
        log.info("search index rebuilt: %d subjects in %.1f s", summary.subjects, summary.seconds)
    else:
        await ensure_alias(runtime.search, runtime.alias)


def app_from_environment() -> Starlette:
    """Factory for `uvicorn --factory` (several workers): settings from the environment."""
    import os

    return create_app(Settings(), run_worker=os.environ.get("CREDITGRAPH_RUN_WORKER", "1") == "1")

"""The ASGI application: Starlette routes, the GraphQL endpoint, and the in-process indexer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import orjson
from elasticsearch import ApiError, TransportError
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UnsetType

from api.graphql.context import Context
from api.graphql.live import DisclosureHub
from api.graphql.schema import build_schema
from api.guard.ratelimit import RateLimiter
from api.http.auth import AuthError, bearer_token, connection_token, viewer_for_key
from api.http.exports import export_routes
from api.http.transport import HttpGuard
from api.http.websocket import TextFrameWebSocketAdapter
from credit.platform.config import Settings, get_settings
from credit.platform.runtime import Runtime, SearchMode, open_runtime
from credit.search.client import ensure_alias
from indexers.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from indexers.metrics import render as render_metrics
from indexers.reindex import reindex
from indexers.worker import Indexer

log = logging.getLogger("creditgraph.api")


class GraphQLApp(GraphQL[Context, None]):
    websocket_adapter_class = TextFrameWebSocketAdapter  # graphql-transport-ws needs text frames

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        runtime: Runtime = request.app.state.runtime
        viewer = request.scope["creditgraph.viewer"]
        return Context(runtime=runtime, viewer=viewer, request=request, response=response)

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """`connection_init`: an `Authorization` in its payload sets the connection's viewer; a bad key
        closes the connection (4403) instead of falling back to PUBLIC."""
        try:
            token = connection_token(context.connection_params)
            if token is not None:
                context.viewer = await viewer_for_key(context.runtime, token)
        except AuthError as exc:
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED", "message": exc.message}) from None
        return UnsetType()  # the singleton UNSET: acknowledge without a payload


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
    limiter = RateLimiter.from_settings(settings)
    guard = HttpGuard(settings, limiter)

    async def graphql_endpoint(request: Request) -> Response:
        # api/http/transport.py: penalty box, body size and batches first; timeout and HTTP conformance around.
        if (refusal := await guard.admit(request)) is not None:
            return refusal
        try:
            viewer = await viewer_for_key(request.app.state.runtime, bearer_token(request))
        except AuthError as exc:
            await guard.charge_refused(request)
            return _unauthenticated(exc.message)
        if (refusal := await guard.admit_viewer(request, viewer)) is not None:
            return refusal
        request.scope["creditgraph.viewer"] = viewer
        return await guard.run(request, lambda: graphql.run(request))

    async def graphql_ws(websocket: WebSocket) -> None:
        # The upgrade request's Authorization header, if any; the connection_init payload may set
        # another viewer (GraphQLApp.on_ws_connect). A bad header refuses the upgrade.
        try:
            viewer = await viewer_for_key(websocket.app.state.runtime, bearer_token(websocket))
        except AuthError:
            await websocket.close(code=4403)
            return
        websocket.scope["creditgraph.viewer"] = viewer
        await graphql.run(websocket)

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def ready(request: Request) -> Response:
        """Readiness for a load balancer: 200 while PostgreSQL answers (searches may still say
        SERVICE_UNAVAILABLE: `search` tells), 503 when it does not. No addresses, no errors' text."""
        rt: Runtime = request.app.state.runtime
        checks = {
            "database": await _answers(_database_answers(rt)),
            "search": await _answers(rt.search.ping()) if rt.search is not None else False,
            "cache": await _answers(rt.broker.ping()),
        }
        body = {name: "ok" if good else "unavailable" for name, good in checks.items()}
        return JSONResponse(body, status_code=200 if checks["database"] else 503)

    async def metrics_endpoint(request: Request) -> Response:
        body = await render_metrics(request.app.state.runtime.engine)
        return Response(body, media_type=METRICS_CONTENT_TYPE)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            rt = runtime
            if rt is None:
                rt = await stack.enter_async_context(open_runtime(settings, search=SearchMode.OWN))
            app.state.runtime = rt
            app.state.rate_limiter = limiter  # read by api.guard.query.QueryGuard
            if rt.search is not None:
                try:
                    await prepare_index(rt)
                except (ApiError, TransportError) as exc:
                    # Profiles, checks and feeds need only PostgreSQL: serve them, and let searches
                    # answer SERVICE_UNAVAILABLE until the engine is back (the indexer waits for it).
                    log.warning("search engine unavailable at start (%s); serving without it", type(exc).__name__)
            stop = asyncio.Event()
            tasks: list[asyncio.Task[Any]] = []
            if run_worker and rt.search is not None:
                tasks.append(asyncio.create_task(Indexer(rt).run(stop), name="indexer"))
            app.state.disclosure_hub = hub = DisclosureHub(rt.broker, rt.sessions)  # disclosurePublished
            tasks.append(asyncio.create_task(hub.run(), name="disclosure-hub"))
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
        Route("/ready", ready),
        Route("/metrics", metrics_endpoint),
        *export_routes(),  # /export/disclosures.csv|.ndjson, /feeds/disclosures.atom
    ]
    return Starlette(routes=routes, lifespan=lifespan)


async def _database_answers(runtime: Runtime) -> bool:
    async with runtime.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    return True


async def _answers(check: Awaitable[bool], timeout: float = 2.0) -> bool:
    try:
        return bool(await asyncio.wait_for(check, timeout))
    except Exception:  # any failure means "not ready"; the details stay in the logs of the service
        return False


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

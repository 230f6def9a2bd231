"""The ASGI application: Starlette routes and the GraphQL endpoint.

`create_app` knows nothing of the indexer: what runs beside the API in one process (the in-process
indexer, the index preparation at start) is handed in as `on_start` hooks and `background` tasks by
`creditgraph.wiring`, which is what `creditgraph serve` runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException, StarletteRequestAdapter
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.schema.base import BaseSchema
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UnsetType

from api.graphql.context import Context
from api.graphql.live import DisclosureHub
from api.graphql.schema import build_schema
from api.guard.admission import Admission, Refused
from api.guard.ratelimit import RateLimiter
from api.guard.sockets import CapReached, SocketLimits, socket_client
from api.http.auth import AuthError, bearer_token, connection_token, viewer_for_key
from api.http.caching import cache_answer
from api.http.catalogue import catalogue_routes
from api.http.cors import cors_middleware
from api.http.export_stream import install_quiet_aborts
from api.http.exports import export_routes
from api.http.metrics import metrics_route
from api.http.persisted import PersistedQueries
from api.http.tooling import graphiql_page, graphiql_routes, sdl_route
from api.http.transport import GraphQLTransport, preferred_media_type, refusal_response
from api.http.websocket import TOO_MANY, GuardedTransportWSHandler, TextFrameWebSocketAdapter
from api.web.pages import Website
from credit.access.viewer import Viewer
from credit.platform.config import Settings, get_settings
from credit.platform.db import DATABASE_RETRY_AFTER, database_unavailable
from credit.platform.runtime import Runtime, SearchMode, open_runtime
from credit.search.client import IndexState, index_state

log = logging.getLogger("creditgraph.api")

#: Something to run beside the API until `stop` is set (the in-process indexer).
Background = Callable[[Runtime, asyncio.Event], Coroutine[Any, Any, None]]
#: Something to do once the runtime is open, before requests are served (prepare the index).
OnStart = Callable[[Runtime], Awaitable[None]]


class _RequestAdapter(StarletteRequestAdapter):
    """strawberry's request adapter, holding the Starlette request for `GraphQLApp.parse_http_body`."""

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.request = request


class GraphQLApp(GraphQL[Context, None]):
    websocket_adapter_class = TextFrameWebSocketAdapter  # graphql-transport-ws needs text frames
    graphql_transport_ws_handler_class = GuardedTransportWSHandler  # the key at every operation
    request_adapter_class = _RequestAdapter

    def __init__(self, schema: BaseSchema, settings: Settings, admission: Admission) -> None:
        # graphql-transport-ws only: the legacy graphql-ws protocol's handler has none of the checks.
        super().__init__(
            schema,
            graphql_ide=None if settings.is_production else "graphiql",
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        )
        self.persisted = PersistedQueries(settings)
        self.admission = admission

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        """orjson: strict UTF-8, no lone surrogates, nesting bounded (1,024), numbers within 64 bits or a
        double; anything else is a JSONDecodeError, which `parse_json` answers 400 BAD_REQUEST."""
        return orjson.loads(data)

    def parse_json(self, data: str | bytes) -> Any:
        try:
            return self.decode_json(data)
        except orjson.JSONDecodeError as exc:
            raise HTTPException(400, f"the request is not valid JSON: {exc}") from None

    async def render_graphql_ide(self, request: Request) -> Response:
        return graphiql_page()  # the page with its assets inside the package (api/http/tooling.py)

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # A GET of a persisted query has no `query` either: it is an operation, not a browser's visit.
        return "extensions" not in request.query_params and super().should_render_graphql_ide(request)

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequestData | list[GraphQLRequestData]:
        """The request's operation; for a persisted query (api/http/persisted.py) its stored document,
        or the document it registers, kept after it was charged to the request's budget."""
        data = await super().parse_http_body(request)
        if not isinstance(data, GraphQLRequestData) or not PersistedQueries.asks(data.extensions):
            return data
        assert isinstance(request, _RequestAdapter) and data.extensions is not None
        http = request.request
        broker = http.app.state.runtime.broker
        resolved = await self.persisted.resolve(broker, data.extensions, data.query)
        if resolved.register is not None:
            viewer: Viewer = http.scope["creditgraph.viewer"]
            await self.admission.charge(http, viewer, self.persisted.register_cost)
            await self.persisted.keep(broker, resolved.register, resolved.query)
        data.query = resolved.query
        return data

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        runtime: Runtime = request.app.state.runtime
        viewer = request.scope["creditgraph.viewer"]
        return Context(runtime=runtime, viewer=viewer, request=request, response=response)

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """`connection_init`: an `Authorization` in its payload sets the connection's viewer; a bad key
        closes the connection (4403) instead of falling back to PUBLIC, and is charged as a refused
        request to the address's pre-authentication bucket, as over HTTP."""
        client = socket_client(context.request)
        try:
            token = connection_token(context.connection_params)
            if token is not None:
                context.viewer = await viewer_for_key(context.runtime, token)
        except AuthError as exc:
            address = self.admission.address(context.request)
            budget = self.admission.limiter.pre_auth_budget(address, keyed=True)
            await self.admission.limiter.charge_rejected(context.runtime.broker, [budget])
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED", "message": exc.message}) from None
        if client is not None and token is not None:
            client.token, client.viewer = token, context.viewer  # checked again at every operation
        return UnsetType()  # the singleton UNSET: acknowledge without a payload


def create_app(
    settings: Settings | None = None,
    *,
    runtime: Runtime | None = None,
    on_start: Sequence[OnStart] = (),
    background: Sequence[Background] = (),
) -> Starlette:
    """The app; with `runtime` given (tests), its clients are used and not closed by the app."""
    settings = settings or get_settings()
    schema = build_schema(settings)
    limiter = RateLimiter.from_settings(settings)
    admission = Admission(settings, limiter)
    sockets = SocketLimits(settings)
    graphql = GraphQLApp(schema, settings, admission)
    transport = GraphQLTransport(settings)
    max_age = settings.public_cache_max_age_seconds

    async def graphql_endpoint(request: Request) -> Response:
        # Penalty box, body size and batches, then the key (api/guard/admission.py, api/http/transport.py).
        media_type = preferred_media_type(request.headers.get("accept"))
        try:
            await admission.check_address(request)
            if (refused := await transport.check_body(request)) is not None:
                if refused.code == "BAD_REQUEST":
                    await admission.charge_refused(request)
                raise refused
            viewer = await admission.viewer(request)
            request.scope["creditgraph.viewer"] = viewer
            response = await transport.run(request, lambda: graphql.run(request))
        except Refused as refused:
            return refusal_response(refused, media_type)
        except Exception as exc:  # a key's lookup, or anything outside a resolver, without PostgreSQL
            if not database_unavailable(exc):
                raise
            return refusal_response(database_down(), media_type)
        return cache_answer(request, database_status(response), viewer, max_age)

    async def graphql_ws(websocket: WebSocket) -> None:
        # The penalty box, then the upgrade request's Authorization header, if any (a bad one refuses
        # the upgrade and is charged); the connection_init payload may set another viewer
        # (GraphQLApp.on_ws_connect). Then one of the address's socket slots (api/guard/sockets.py).
        try:
            await admission.check_address(websocket)
            token = bearer_token(websocket)
            viewer = await viewer_for_key(websocket.app.state.runtime, token)
        except Refused as refused:
            await _refuse_socket(websocket, TOO_MANY, refused.message)
            return
        except AuthError:
            await admission.charge_refused(websocket)
            await websocket.close(code=4403)
            return
        websocket.scope["creditgraph.viewer"] = viewer
        try:
            with sockets.connection(websocket, admission.address(websocket), viewer, token):
                await graphql.run(websocket)
        except CapReached as cap:
            await _refuse_socket(websocket, TOO_MANY, cap.message)

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def ready(request: Request) -> Response:
        """Readiness for a load balancer: 200 while PostgreSQL answers (searches may still say
        SERVICE_UNAVAILABLE: `search` tells), 503 when it does not. `search` is ok when the engine
        serves an index behind the alias; `index` says whether that index is of this release
        (`outdated`: run `creditgraph reindex`). No addresses, no errors' text."""
        rt: Runtime = request.app.state.runtime
        database = await _answers(rt.database_answers())
        index = IndexState.UNAVAILABLE
        if rt.search is not None:
            with contextlib.suppress(Exception):
                index = await asyncio.wait_for(index_state(rt.search, rt.alias), 2.0)
        body = {
            "database": "ok" if database else "unavailable",
            "search": "ok" if index in (IndexState.OK, IndexState.OUTDATED) else "unavailable",
            "cache": "ok" if await _answers(rt.broker.ping()) else "unavailable",
            "index": index.value,
        }
        return JSONResponse(body, status_code=200 if database else 503)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        install_quiet_aborts()  # an export cut off on purpose is not a crash (api/http/export_stream.py)
        async with contextlib.AsyncExitStack() as stack:
            rt = runtime
            if rt is None:
                rt = await stack.enter_async_context(open_runtime(settings, search=SearchMode.OWN))
            app.state.runtime = rt
            app.state.rate_limiter = limiter  # read by api.guard.query.QueryGuard
            app.state.admission = admission  # read by api.http.exports
            app.state.sockets = sockets  # read by disclosurePublished (api/graphql/disclosures.py)
            for hook in on_start:
                await hook(rt)
            stop = asyncio.Event()
            tasks: list[asyncio.Task[Any]] = [asyncio.create_task(task(rt, stop)) for task in background]
            app.state.disclosure_hub = hub = DisclosureHub(
                rt, fanout_per_tick=settings.ws_fanout_per_tick, fanout_per_second=settings.ws_fanout_per_second
            )
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
        *metrics_route(settings),  # key-protected, or absent in production without METRICS_KEY
        # The SDL at a stable URL (introspection is off in production), before the exports' routes.
        sdl_route(schema.as_str() + "\n", max_age),
        *export_routes(settings),  # /export/disclosures.csv|.ndjson|.xlsx, /feeds/disclosures.atom
        *catalogue_routes(),  # /catalogue/measures.csv|.json, /catalogue/scopes.csv (四张清单)
        # The public website: /, /subjects/<code>, /disclosures and /static/… (api/web/pages.py).
        *Website(schema, settings).routes(),
    ]
    if not settings.is_production:
        routes += graphiql_routes()  # /graphiql/…: GraphiQL's assets, inside the package
    return Starlette(routes=routes, lifespan=lifespan, middleware=[cors_middleware(settings.cors_origins)])


def database_down() -> Refused:
    """PostgreSQL does not answer: 503 SERVICE_UNAVAILABLE with `Retry-After`."""
    retry = DATABASE_RETRY_AFTER
    message = "the database is unavailable; retry later"
    return Refused(503, "SERVICE_UNAVAILABLE", message, {"Retry-After": str(retry)}, retry)


def database_status(response: Response) -> Response:
    """A GraphQL answer whose errors say the database is down (`extensions.retryAfter`, set by
    `api.graphql.errors.ErrorCodes`) becomes a 503 with `Retry-After`: a client, a load balancer
    and a cache then see an outage, not a 200. A search outage alone keeps its 200 and partial data."""
    if response.status_code != 200 or b'"SERVICE_UNAVAILABLE"' not in getattr(response, "body", b""):
        return response
    try:
        body = orjson.loads(response.body)
    except orjson.JSONDecodeError:
        return response
    errors = body.get("errors") if isinstance(body, dict) else None
    retry = [
        e["extensions"]["retryAfter"]
        for e in errors or ()
        if isinstance(e, dict)
        and isinstance(e.get("extensions"), dict)
        and "retryAfter" in e["extensions"]
        and e["extensions"].get("code") == "SERVICE_UNAVAILABLE"
    ]
    if not retry:
        return response
    response.status_code = 503
    response.headers["Retry-After"] = str(max(retry))
    response.headers["Cache-Control"] = "no-store"
    return response


async def _refuse_socket(websocket: WebSocket, code: int, reason: str) -> None:
    """Accept and close at once with `code`: a browser's client sees the code and the reason, which a
    refused handshake (HTTP 403) would hide."""
    offered = websocket.scope.get("subprotocols") or []
    protocol = GRAPHQL_TRANSPORT_WS_PROTOCOL if GRAPHQL_TRANSPORT_WS_PROTOCOL in offered else None
    await websocket.accept(subprotocol=protocol)
    await websocket.close(code=code, reason=reason[:120])


async def _answers(check: Awaitable[bool], timeout: float = 2.0) -> bool:
    try:
        return bool(await asyncio.wait_for(check, timeout))
    except Exception:  # any failure means "not ready"; the details stay in the logs of the service
        return False

"""`GET /metrics` (Prometheus text format): this process's counters (the in-process indexer's, when it
runs one), then gauges about the outbox read from PostgreSQL at scrape time, so every API instance
reports the same backlog whichever worker indexes it.

The counters tell an outsider how busy the service is and how far the index lags: with `METRICS_KEY`
set a scrape needs `Authorization: Bearer <METRICS_KEY>` (401 otherwise, compared in constant time);
without it the route is open in development and absent (404) in production."""

from __future__ import annotations

import hmac

from prometheus_client import REGISTRY, CollectorRegistry, Gauge, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from credit.outbox import queue
from credit.platform.config import Settings
from credit.platform.runtime import Runtime

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def outbox_registry(stats: queue.OutboxStats) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=True)
    gauges = (
        ("creditgraph_outbox_backlog", "Outbox rows waiting to be indexed (dead letters excluded)", stats.backlog),
        ("creditgraph_outbox_retrying", "Pending outbox rows that have failed at least once", stats.retrying),
        ("creditgraph_outbox_dead_letters", "Outbox rows in the dead-letter state", stats.dead),
        (
            "creditgraph_outbox_oldest_pending_age_seconds",
            "Age of the oldest pending outbox row",
            stats.oldest_pending_age,
        ),
    )
    for name, documentation, value in gauges:
        Gauge(name, documentation, registry=registry).set(value)
    return registry


async def render(runtime: Runtime) -> bytes:
    stats = await queue.stats(runtime.engine)
    return generate_latest(REGISTRY) + generate_latest(outbox_registry(stats))


async def metrics_endpoint(request: Request) -> Response:
    return Response(await render(request.app.state.runtime), media_type=CONTENT_TYPE)


def metrics_route(settings: Settings) -> list[Route]:
    """`/metrics` as the settings allow it (see the module's docstring)."""
    if settings.metrics_key is None or not settings.metrics_key.get_secret_value():
        return [] if settings.is_production else [Route("/metrics", metrics_endpoint)]
    expected = f"Bearer {settings.metrics_key.get_secret_value()}".encode()

    async def keyed(request: Request) -> Response:
        given = request.headers.get("authorization", "").encode("utf-8", "replace")
        if not hmac.compare_digest(given, expected):
            headers = {"WWW-Authenticate": 'Bearer realm="metrics"', "Cache-Control": "no-store"}
            return Response("a metrics key is needed\n", status_code=401, headers=headers, media_type="text/plain")
        return await metrics_endpoint(request)

    return [Route("/metrics", keyed)]

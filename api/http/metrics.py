"""`GET /metrics` (Prometheus text format): this process's counters (the in-process indexer's, when it
runs one), then gauges about the outbox read from PostgreSQL at scrape time, so every API instance
reports the same backlog whichever worker indexes it."""

from __future__ import annotations

from prometheus_client import REGISTRY, CollectorRegistry, Gauge, generate_latest
from starlette.requests import Request
from starlette.responses import Response

from credit.outbox import queue
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

"""Prometheus metrics of the indexer, served at /metrics by the API (Prometheus text format).

Two kinds:
- counters and the lag histogram, kept in this process by the worker running in it (the API's
  in-process worker; a standalone `creditgraph worker --metrics-port P` serves its own);
- gauges about the outbox (backlog, oldest pending age, rows in retry, dead letters), computed from
  PostgreSQL at scrape time, so every API instance reports the same truth whichever worker runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

APPLIED = Counter("creditgraph_indexer_applied_total", "Subject documents written to the search index")
STALE = Counter("creditgraph_indexer_stale_total", "Writes skipped because the index held that revision or newer")
RETRIED = Counter("creditgraph_indexer_retries_total", "Outbox rows put back for a retry", ["cause"])
DEAD = Counter("creditgraph_indexer_dead_letters_total", "Outbox rows moved to the dead-letter state")
REFRESHES = Counter("creditgraph_indexer_refreshes_total", "Refreshes forced to make writes searchable sooner")
SWEPT = Counter("creditgraph_indexer_swept_total", "Subjects re-queued because a record crossed a time boundary")
LAG = Histogram(
    "creditgraph_indexer_lag_seconds",
    "Time from a change's transaction to its document being written (per outbox row)",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True)
class OutboxStats:
    backlog: int  # rows not yet indexed (including rows waiting for a retry), dead letters excluded
    retrying: int  # of those, rows that failed at least once
    dead: int
    oldest_pending_age: float  # seconds since the oldest pending row's transaction began; 0 when none


async def outbox_stats(engine: AsyncEngine) -> OutboxStats:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT count(*) FILTER (WHERE NOT dead),"
                    " count(*) FILTER (WHERE NOT dead AND attempts > 0),"
                    " count(*) FILTER (WHERE dead),"
                    " coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE NOT dead)), 0)"
                    " FROM outbox"
                )
            )
        ).one()
    return OutboxStats(int(row[0]), int(row[1]), int(row[2]), max(0.0, float(row[3])))


def outbox_registry(stats: OutboxStats) -> CollectorRegistry:
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


async def render(engine: AsyncEngine) -> bytes:
    """The /metrics body: this process's counters, then the outbox gauges read from PostgreSQL now."""
    stats = await outbox_stats(engine)
    return generate_latest(REGISTRY) + generate_latest(outbox_registry(stats))

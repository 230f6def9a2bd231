"""Prometheus metrics of the indexer (served at /metrics by the API process)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

APPLIED = Counter("creditgraph_indexer_applied_total", "Subject documents written to the search index")
STALE = Counter("creditgraph_indexer_stale_total", "Writes skipped because a newer revision was indexed")
FAILED = Counter("creditgraph_indexer_failures_total", "Outbox batches that failed and were retried")
DEAD = Counter("creditgraph_indexer_dead_letters_total", "Outbox rows moved to the dead-letter state")
LAG = Histogram(
    "creditgraph_indexer_lag_seconds",
    "Time from the change's commit to its document being written",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)

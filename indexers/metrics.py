"""Prometheus metrics of the indexer: counters and the lag histogram, kept in this process by the
worker running in it (the API's in-process worker, on the API's /metrics; a standalone
`creditgraph worker --metrics-port P` serves its own). The outbox gauges are computed from PostgreSQL
at scrape time by the API (`api/http/metrics.py`)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

APPLIED = Counter("creditgraph_indexer_applied_total", "Subject documents written to the search index")
STALE = Counter("creditgraph_indexer_stale_total", "Writes skipped because the index held that revision or newer")
RETRIED = Counter("creditgraph_indexer_retries_total", "Outbox rows put back for a retry", ["cause"])
DEAD = Counter("creditgraph_indexer_dead_letters_total", "Outbox rows moved to the dead-letter state")
REFRESHES = Counter("creditgraph_indexer_refreshes_total", "Refreshes forced to make writes searchable sooner")
SWEPT = Counter("creditgraph_indexer_swept_total", "Subjects re-queued because a record crossed a time boundary")
REBUILDS = Counter("creditgraph_indexer_rebuilds_total", "Index rebuilt because the alias had lost its index")
LAG = Histogram(
    "creditgraph_indexer_lag_seconds",
    "Time from a change's transaction to its document being written (per outbox row)",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)

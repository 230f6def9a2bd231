"""Reindex throughput against the raw bulk helper, in the same run, on the same engine.

    .venv/bin/python -m bench.indexer_reindex [--subjects 20000] [--rounds 3]

Measured: `indexers.reindex.reindex` (new versioned index with bulk settings, server-side cursor,
documents rebuilt from PostgreSQL with the flag rules, catch-up, settings restored, refresh, alias
swap) in subjects/s, up to the moment the alias serves the new index; the fixed tail after it (a
second catch-up, the vanished-subject check, a 2 s grace before deleting the old index) is printed
apart. Baseline: `elasticsearch.helpers.async_bulk` (chunks of `indexers.reindex.BATCH`, one request at a
time) loading the very same documents, built beforehand and held in memory, into a fresh index with
the same settings and mappings and the same bulk settings, then a refresh. Rounds alternate the two
so that engine warm-up and growth weigh on both; the ratio is of the medians. Target: ≥ 0.7.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from typing import Any

from elasticsearch.helpers import async_bulk

from bench.common import bench_environment, bench_runtime, build_documents, import_demo, median
from credit.platform.runtime import Runtime
from credit.search.client import create_versioned_index, ensure_alias
from indexers.documents import SubjectDocument
from indexers.reindex import BATCH, BULK_SETTINGS, reindex

TARGET = 0.7


async def raw_load(runtime: Runtime, documents: dict[int, SubjectDocument], round_: int) -> float:
    """Seconds for async_bulk to load `documents` into a fresh index, refresh included."""
    assert runtime.search is not None
    client = runtime.search.options(request_timeout=120)
    index = await create_versioned_index(client, f"{runtime.alias}_raw", f"r{round_}")
    await client.indices.put_settings(index=index, settings={"index": BULK_SETTINGS})
    actions: list[dict[str, Any]] = [
        {"_index": index, "_id": str(sid), "version": d.version, "version_type": "external", "_source": d.document}
        for sid, d in documents.items()
    ]
    started = time.perf_counter()
    ok, errors = await async_bulk(client, actions, chunk_size=BATCH, max_retries=3, raise_on_error=False)
    assert isinstance(errors, list)  # stats_only=False: the failed items, not their count
    await client.indices.refresh(index=index)
    seconds = time.perf_counter() - started
    if errors or ok != len(documents):
        raise RuntimeError(f"raw load: {ok} ok, errors {errors[:2]}")
    await client.indices.delete(index=index)
    return seconds


async def run(subjects: int, rounds: int) -> float:
    with bench_environment("creditgraph_bench_reindex") as settings:
        async with bench_runtime(settings) as runtime:
            assert runtime.search is not None
            seconds = await import_demo(runtime, subjects)
            print(f"imported {subjects:,} demo subjects in {seconds:.1f} s; load average {os.getloadavg()[0]:.1f}")
            await ensure_alias(runtime.search, runtime.alias)
            started = time.perf_counter()
            documents = await build_documents(runtime)
            build = time.perf_counter() - started
            print(f"built {len(documents):,} documents for the baseline in {build:.1f} s (not timed below)")
            raw_rates: list[float] = []
            reindex_rates: list[float] = []
            for round_ in range(rounds):
                raw = len(documents) / await raw_load(runtime, documents, round_)
                summary = await reindex(runtime)
                rate = summary.subjects / summary.serving_after
                raw_rates.append(raw)
                reindex_rates.append(rate)
                print(
                    f"round {round_ + 1}: async_bulk {raw:,.0f} docs/s; reindex {rate:,.0f} subjects/s "
                    f"({summary.subjects:,} serving after {summary.serving_after:.1f} s, {summary.caught_up} caught "
                    f"up; {summary.seconds:.1f} s with the final catch-up and the old index's removal)"
                )
            ratio = median(reindex_rates) / median(raw_rates)
            print(
                f"reindex {median(reindex_rates):,.0f} subjects/s vs raw async_bulk {median(raw_rates):,.0f} docs/s: "
                f"ratio {ratio:.2f} (target ≥ {TARGET})"
            )
            return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subjects", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    ratio = asyncio.run(run(args.subjects, args.rounds))
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""What cleaning free text costs the feed and the exports, measured against the same work without it
in the same run.

    .venv/bin/python -m bench.text_cleaning [--subjects 20000] [--rounds 3]

Data: the demo data set (companies, natural persons with their names in record titles, agencies)
imported through the real importer. Two measurements, rounds alternating the two sides:

- export: the whole feed rendered as CSV (`api.http.feed_formats.csv_chunks`) from
  `credit.disclosures.service.stream` — every row's title, decision number, authority, list name and
  subject name cleaned by its subject's redactor — against the same rows from the repository's stream
  rendered the same way without cleaning; rows/s.
- feed: `disclosures(first: 100)` pages through the whole feed with the record texts and the subject's
  name, executed on the real schema as PUBLIC (texts cleaned) and as the credit office (texts read in
  full: the same resolvers without cleaning); records/s.

Printed: each side's median and the ratio cleaned / uncleaned (1.0: cleaning is free). The redactors
are built on first use and cached, as in a serving process: the first round pays for building them.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

from starlette.requests import Request

from api.graphql.context import Context
from api.graphql.schema import schema
from api.http.feed_formats import csv_chunks
from bench.common import bench_environment, bench_runtime, import_demo, median
from credit import clock
from credit.access.viewer import ANONYMOUS, Viewer
from credit.disclosures import repository, service
from credit.disclosures.feed import FeedFilter
from credit.enums import Role
from credit.platform.runtime import Runtime

FEED = """query($after: String) { disclosures(first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { title decisionNumber authority listName deletionReason
                   subject { name legalRepresentative } } } } }"""
OFFICE = Viewer(Role.REGULATOR, key_id=1, name="bench-office")


async def export_rate(runtime: Runtime, cleaned: bool, rows: int) -> tuple[float, int]:
    """The whole feed as CSV: rows/s and the size of the CSV."""
    today = clock.today()
    batches: AsyncIterator[Sequence[Any]]
    if cleaned:
        batches = service.stream(runtime, FeedFilter(), today)
    else:
        batches = repository.stream_feed(runtime.engine, FeedFilter(), today)
    started = time.perf_counter()
    size = 0
    async for chunk in csv_chunks(batches):
        size += len(chunk)
    return rows / (time.perf_counter() - started), size


async def _count(runtime: Runtime) -> int:
    async with runtime.sessions() as session:
        return await repository.feed_count(session, FeedFilter(), clock.today())


def _request() -> Request:
    return Request({"type": "http", "method": "POST", "path": "/graphql", "headers": [], "query_string": b""})


async def feed_rate(runtime: Runtime, viewer: Viewer) -> tuple[float, int]:
    after: str | None = None
    records = 0
    started = time.perf_counter()
    while True:
        context = Context(runtime=runtime, viewer=viewer, request=_request())
        result = await schema.execute(FEED, {"after": after}, context_value=context)
        assert result.errors is None and result.data is not None, result.errors
        page = result.data["disclosures"]
        records += len(page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    return records / (time.perf_counter() - started), records


async def run(subjects: int, rounds: int) -> tuple[float, float]:
    with bench_environment("creditgraph_bench_text") as settings:
        async with bench_runtime(settings) as runtime:
            seconds = await import_demo(runtime, subjects)
            total = await _count(runtime)
            print(f"imported {subjects:,} subjects in {seconds:.0f} s; {total:,} records in the feed")
            export: dict[bool, list[float]] = {True: [], False: []}
            feed: dict[bool, list[float]] = {True: [], False: []}
            for round_ in range(rounds):
                for cleaned in (round_ % 2 == 0, round_ % 2 == 1):
                    rate, size = await export_rate(runtime, cleaned, total)
                    export[cleaned].append(rate)
                    viewer = ANONYMOUS if cleaned else OFFICE
                    records_rate, records = await feed_rate(runtime, viewer)
                    feed[cleaned].append(records_rate)
                    side = "cleaned  " if cleaned else "uncleaned"
                    print(
                        f"round {round_ + 1} {side}: export {rate:,.0f} rows/s ({size / 1e6:.1f} MB CSV), "
                        f"feed {records_rate:,.0f} records/s ({records:,} records)"
                    )
            export_ratio = median(export[True]) / median(export[False])
            feed_ratio = median(feed[True]) / median(feed[False])
            print(
                f"export: cleaned {median(export[True]):,.0f} rows/s vs uncleaned {median(export[False]):,.0f} "
                f"rows/s: ratio {export_ratio:.2f}"
            )
            print(
                f"feed (GraphQL disclosures, first: 100): PUBLIC (cleaned) {median(feed[True]):,.0f} records/s vs "
                f"credit office (in full) {median(feed[False]):,.0f} records/s: ratio {feed_ratio:.2f}"
            )
            return export_ratio, feed_ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subjects", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(run(args.subjects, args.rounds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Search latency: `searchSubjects` over HTTP against the same engine query sent directly, same run.

    .venv/bin/python -m bench.search_speed [--subjects 100000] [--rounds 3]

The demo data set is loaded into a PostgreSQL database of its own through the real importer and
indexed by the real full reindex into an osmem-server of its own (the database is dropped at the
end). The API runs as `creditgraph serve --no-worker` in a subprocess on a free port, configured
with DATABASE_URL / ELASTICSEARCH_URL, as in production.

For every query of a mix of query types (the generators of bench.search_quality: exact names and
codes, code prefixes, traditional characters, typos, fragments, former names, pinyin, initials, and
trade names typed in pinyin, initials or mixed with hanzi),
one after the other and interleaved so that any drift hits both alike:

- engine: the `_search` body `credit.search.query.build_search_body` makes for it (as the API does:
  the page size plus one, no facets) sent through an `AsyncElasticsearch` client made by
  `credit.search.client.make_search_client`, the client the API uses;
- GraphQL: `searchSubjects(query, first: 10)` selecting what a results page shows (edges with
  cursor, score, highlights and the subject's id, kind, name, code, region, former names;
  totalCount; pageInfo), POSTed to /graphql by an HTTP client with keep-alive.

Prints p50 and p99 of both, per query type and overall, and the ratio GraphQL p50 / engine p50.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from typing import Any

import httpx
from elasticsearch import ApiError, TransportError

from bench.common import (
    VAULT,
    add_environment_options,
    creditgraph_environment,
    free_port,
    percentile,
    run_on_demo,
)
from bench.search_quality import TYPES, Labels, Query, generate_queries, load_subjects
from credit.platform.config import Settings
from credit.search.client import make_search_client
from credit.search.query import SearchFilter, build_search_body

DATABASE = "creditgraph_bench_search_speed"
FIRST = 10
GRAPHQL = """
query Search($query: String!, $first: Int) {
  searchSubjects(query: $query, first: $first) {
    totalCount
    edges { cursor score highlights node { id kind name code regionCode formerNames } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


@contextlib.asynccontextmanager
async def api_server(settings: Settings) -> AsyncIterator[str]:
    """`creditgraph serve --no-worker` on a free port; yields the GraphQL URL."""
    port = free_port()
    env = {**creditgraph_environment(settings), "CREDITGRAPH_ENV": "production"}
    command = [sys.executable, "-m", "creditgraph.cli", "serve", "--no-worker", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    # stderr to a file, not a pipe: a chatty server must never block on a full pipe
    with tempfile.TemporaryFile() as log:
        process = await asyncio.create_subprocess_exec(*command, env=env, stdout=subprocess.DEVNULL, stderr=log)
        try:
            async with httpx.AsyncClient() as http:
                for _ in range(600):
                    if process.returncode is not None:
                        log.seek(0)
                        raise RuntimeError(f"the API did not start:\n{log.read().decode()[-3000:]}")
                    with contextlib.suppress(httpx.HTTPError):
                        if (await http.get(url + "/health")).status_code == 200:
                            break
                    await asyncio.sleep(0.1)
                else:
                    raise RuntimeError("the API did not answer within 60 s")
            yield url + "/graphql"
        finally:
            if process.returncode is None:
                process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), 10)
                except TimeoutError:
                    process.kill()
                    await process.wait()


async def measure(
    settings: Settings, graphql_url: str, queries: list[Query], rounds: int
) -> tuple[dict[str, dict[str, list[float]]], Counter[tuple[str, str]]]:
    """Latencies per side ("engine", "graphql") and query type, and failures per (side, type).

    A failed request (an engine timeout, a GraphQL error) is counted, and its time kept: the client
    waited that long."""
    assert settings.elasticsearch_url is not None
    engine = make_search_client(settings.elasticsearch_url, settings.search_engine_flavor)
    alias = settings.subjects_alias
    timings: dict[str, dict[str, list[float]]] = {"engine": defaultdict(list), "graphql": defaultdict(list)}
    failures: Counter[tuple[str, str]] = Counter()
    bodies = {
        query.text: build_search_body(
            query.text,
            filter=SearchFilter(),
            size=FIRST + 1,  # what the API asks for: one more, to know whether there is a next page
            search_after=None,
            vault=VAULT,
            allow_id_lookup=False,
            facets=False,
        )
        for query in queries
    }
    try:
        async with httpx.AsyncClient(timeout=60) as http:

            async def engine_once(query: Query) -> tuple[float, bool]:
                started = time.perf_counter()
                try:
                    response = await engine.search(index=alias, body=bodies[query.text])
                except (ApiError, TransportError):
                    return time.perf_counter() - started, False
                return time.perf_counter() - started, "hits" in response

            async def graphql_once(query: Query) -> tuple[float, bool]:
                started = time.perf_counter()
                response = await http.post(
                    graphql_url, json={"query": GRAPHQL, "variables": {"query": query.text, "first": FIRST}}
                )
                payload = response.json()
                elapsed = time.perf_counter() - started
                return elapsed, response.status_code == 200 and not payload.get("errors")

            for query in queries[: min(50, len(queries))]:  # warm-up: connections, caches
                await engine_once(query)
                await graphql_once(query)
            for round_ in range(rounds):
                for query in queries:
                    # alternate which goes first, so neither always follows the other
                    pair = (engine_once, graphql_once) if round_ % 2 == 0 else (graphql_once, engine_once)
                    for fn in pair:
                        side = "engine" if fn is engine_once else "graphql"
                        seconds, ok = await fn(query)
                        timings[side][query.type].append(seconds)
                        timings[side]["overall"].append(seconds)
                        if not ok:
                            failures[(side, query.type)] += 1
                            failures[(side, "overall")] += 1
    finally:
        await engine.close()
    return timings, failures


def report(timings: dict[str, dict[str, list[float]]], failures: Counter[tuple[str, str]]) -> None:
    print(
        f"\n{'query type':<13} {'n':>5} {'engine p50':>11} {'engine p99':>11} "
        f"{'GraphQL p50':>12} {'GraphQL p99':>12} {'ratio p50':>10} {'failed e/g':>10}"
    )
    for kind in (*TYPES, "overall"):
        engine, graphql = timings["engine"].get(kind), timings["graphql"].get(kind)
        if not engine or not graphql:
            continue
        e50, e99 = percentile(engine, 0.5) * 1000, percentile(engine, 0.99) * 1000
        g50, g99 = percentile(graphql, 0.5) * 1000, percentile(graphql, 0.99) * 1000
        if kind == "overall":
            print("-" * 91)
        failed = f"{failures[('engine', kind)]}/{failures[('graphql', kind)]}"
        print(
            f"{kind:<13} {len(engine):>5} {e50:>9.1f}ms {e99:>9.1f}ms {g50:>10.1f}ms {g99:>10.1f}ms"
            f" {g50 / e50:>10.2f} {failed:>10}"
        )
    overall_e = percentile(timings["engine"]["overall"], 0.5)
    overall_g = percentile(timings["graphql"]["overall"], 0.5)
    print(f"\nratio GraphQL p50 / engine p50: {overall_g / overall_e:.2f} (target <= 1.3)")
    print(f"overhead of the API at p50: {1000 * (overall_g - overall_e):.1f} ms")


async def run(settings: Settings, args: argparse.Namespace, lines: list[dict[str, Any]]) -> None:
    subjects = await load_subjects(settings, lines, args)
    queries = generate_queries(Labels(subjects), args.per_type, args.query_seed)
    print(f"{len(queries)} queries x {args.rounds} rounds, engine and GraphQL interleaved", flush=True)
    async with api_server(settings) as graphql_url:
        timings, failures = await measure(settings, graphql_url, queries, args.rounds)
    report(timings, failures)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--per-type", type=int, default=40, help="queries per query type")
    parser.add_argument("--rounds", type=int, default=3, help="times each query is sent, each way")
    parser.add_argument("--seed", type=int, default=7, help="seed of the demo data")
    parser.add_argument("--query-seed", type=int, default=99, help="seed of the query mix")
    add_environment_options(parser, "measure against")
    run_on_demo(DATABASE, parser.parse_args(), run)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

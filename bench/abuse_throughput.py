"""Legitimate search throughput while an abusive client floods refused queries, against the same
throughput with no abuse, in one run.

One uvicorn worker serves the API over the demo data set, with the default limits and rate limits
(Redis when one answers at BENCH_REDIS_URL, else in process). The legitimate load is name searches
from 256 client addresses (X-Forwarded-For, uvicorn trusts the loopback proxy), 16 in flight. The
abusive client is another process that keeps `--abusive-connections` keep-alive connections busy,
back to back, from one address, with the abuse corpus: deep nesting, 1,000 aliases, 20,000 tokens,
`first: 100000`, 100-operation batches, a fragment bomb. Phases alternate (clean, abused, clean,
abused, …, short phases) so that drift of the machine's load cancels out.

    python -m bench.abuse_throughput [--subjects 2000] [--seconds 10] [--rounds 3] [--abusive-connections 16]
                                     [--delay SECONDS]

Prints both throughputs, their ratio (target ≥ 0.9), and what the abusive client got back.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from typing import Any

import orjson

from bench.common import (
    bench_environment,
    creditgraph_environment,
    demo_subject_lines,
    free_port,
    load_demo,
    post_load,
    wait_http,
)
from credit.platform.config import Settings

REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
DB = "creditgraph_bench_abuse"
SEARCH = """query($q: String!) { searchSubjects(query: $q, first: 10) {
  totalCount edges { node { id name code kind regionCode } } } }"""
ABUSER = "10.66.0.1"


def abuse_corpus() -> list[bytes]:
    """Request bodies that the API must refuse (QUERY_TOO_COMPLEX, BAD_USER_INPUT, BAD_REQUEST)."""
    search = 'searchSubjects(query: "常州") { totalCount edges { node { id name } } }'
    deep = "id"
    for _ in range(6):
        deep = f"creditProfile {{ activeFlags {{ record {{ subject {{ {deep} }} }} }} }}"
    bomb = ["fragment F0 on Query { __typename }"]
    bomb += [f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, 30)]
    documents: list[Any] = [
        {"query": f'{{ subject(code: "91320402MA1MXXXX0X") {{ {deep} }} }}'},
        {"query": "{ " + " ".join(f"a{i}: {search}" for i in range(1000)) + " }"},
        {"query": "{ " + "__typename " * 20_000 + "}"},
        {"query": '{ searchSubjects(query: "常州", first: 100000) { totalCount } }'},
        [{"query": "{ " + search + " }"}] * 100,
        {"query": "{ ...F29 } " + " ".join(bomb)},
    ]
    return [orjson.dumps(document) for document in documents]


def raw_request(port: int, body: bytes) -> bytes:
    head = (
        f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"X-Forwarded-For: {ABUSER}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _flood(port: int, connections: int, seconds: float) -> dict[str, int]:
    """Keep `connections` keep-alive connections busy with the corpus; responses counted by status."""
    requests = [raw_request(port, body) for body in abuse_corpus()]
    counts: collections.Counter[str] = collections.Counter()
    deadline = time.monotonic() + seconds

    async def connection(offset: int) -> None:
        position = offset
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.monotonic() < deadline:
                writer.write(requests[position % len(requests)])
                position += 1
                await writer.drain()
                status_line = await reader.readline()
                length, close = 0, False
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                    elif name.lower() == "connection" and value.strip().lower() == "close":
                        close = True
                await reader.readexactly(length)
                counts[status_line.split(b" ")[1].decode() if status_line else "closed"] += 1
                if close or not status_line:
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
        finally:
            writer.close()

    await asyncio.gather(*(connection(i) for i in range(connections)))
    return dict(counts)


def abuse_process(port: int, connections: int, phases: Any, results: Any) -> None:
    """The abusive client, in a process of its own, started once (its start-up is not measured): it
    floods for each number of seconds it is sent, and reports what it got back. It runs at a lower
    priority than the legitimate client: on a small machine its own CPU use would otherwise be
    measured as the server's weakness."""
    os.nice(5)
    results.put("ready")
    while (seconds := phases.get()) is not None:
        results.put(asyncio.run(_flood(port, connections, seconds)))


async def legitimate(url: str, terms: list[str], seconds: float, in_flight: int = 16) -> tuple[float, int]:
    """Successful searches per second, 16 in flight, from 256 client addresses."""
    rng = random.Random(5)

    def search() -> tuple[bytes, dict[str, str]]:
        body = orjson.dumps({"query": SEARCH, "variables": {"q": rng.choice(terms)}})
        address = f"10.1.{rng.randrange(16)}.{rng.randrange(1, 17)}"
        return body, {"content-type": "application/json", "x-forwarded-for": address}

    done, failed, elapsed = await post_load(url, search, seconds, in_flight)
    return done / elapsed, failed


def redis_url() -> str | None:
    import redis

    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping()
    except (redis.ConnectionError, OSError):
        return None
    return REDIS


def server_environment(settings: Settings, redis: str | None) -> dict[str, str]:
    """The API with the default limits (bench_settings lifts the rate limits for other benchmarks)."""
    defaults = Settings.model_construct()
    env = {**creditgraph_environment(settings), "CREDITGRAPH_RUN_WORKER": "0"}
    env["RATE_LIMIT_COST_PER_KEY"] = str(defaults.rate_limit_cost_per_key)
    env["RATE_LIMIT_COST_PER_ADDRESS"] = str(defaults.rate_limit_cost_per_address)
    env["RATE_LIMIT_KEY_PREFIX"] = f"bench:{uuid.uuid4().hex}:"
    if redis is not None:
        env["REDIS_URL"] = redis
    return env


def search_terms(subjects: int) -> list[str]:
    lines = [line for line in demo_subject_lines(subjects) if line["kind"] != "NATURAL_PERSON"]
    rng = random.Random(3)
    names = [str(line["name"]) for line in rng.sample(lines, min(300, len(lines)))]
    return names + [name[2:6] for name in names[:100]]  # whole names and fragments


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subjects", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=3, help="length of one phase")
    parser.add_argument("--abusive-connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=10, help="pairs of phases (clean, abused)")
    parser.add_argument(
        "--delay", type=float, default=None, help="the server's rate_limit_delay_seconds (0: answer 429s at once)"
    )
    args = parser.parse_args()
    redis = redis_url()
    with bench_environment(DB) as settings:
        asyncio.run(load_demo(settings, args.subjects))
        port = free_port()
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "creditgraph.wiring:app_from_environment",
            "--log-level",
        ]
        command += ["warning", "--host", "127.0.0.1", "--port", str(port)]
        command += ["--proxy-headers", "--forwarded-allow-ips", "127.0.0.1"]
        environment = server_environment(settings, redis)
        if args.delay is not None:
            environment["RATE_LIMIT_DELAY_SECONDS"] = str(args.delay)
        server = subprocess.Popen(command, env=environment)
        try:
            wait_http(f"http://127.0.0.1:{port}/health", server)
            url = f"http://127.0.0.1:{port}/graphql"
            terms = search_terms(args.subjects)
            asyncio.run(legitimate(url, terms, 3))  # warm-up
            clean: list[float] = []
            abused: list[float] = []
            abuse: collections.Counter[str] = collections.Counter()
            context = multiprocessing.get_context("spawn")
            phases, results = context.Queue(), context.Queue()
            flood = context.Process(target=abuse_process, args=(port, args.abusive_connections, phases, results))
            flood.start()
            assert results.get(timeout=60) == "ready"
            try:
                for _ in range(args.rounds):
                    rate, failed = asyncio.run(legitimate(url, terms, args.seconds))
                    assert failed == 0, f"{failed} legitimate searches failed without abuse"
                    clean.append(rate)
                    phases.put(args.seconds + 0.3)
                    time.sleep(0.2)  # the flood is under way
                    rate, failed = asyncio.run(legitimate(url, terms, args.seconds))
                    assert failed == 0, f"{failed} legitimate searches failed under abuse"
                    abused.append(rate)
                    phase = results.get(timeout=args.seconds + 60)
                    print(f"  clean {clean[-1]:.1f} req/s, abused {rate:.1f} req/s; abusive client got {phase}")
                    abuse.update(phase)
            finally:
                phases.put(None)
                flood.join(30)
        finally:
            server.terminate()
            server.wait(10)
    baseline, under_abuse = sum(clean) / len(clean), sum(abused) / len(abused)
    flood_seconds = args.rounds * (args.seconds + 0.3)
    delay = Settings.model_construct().rate_limit_delay_seconds if args.delay is None else args.delay
    print(f"broker: {'Redis' if redis else 'in process'}; {args.subjects:,} subjects; one uvicorn worker")
    print(f"abusive client: {args.abusive_connections} connections back to back; 429s held {delay:g} s")
    print(f"legitimate searches, no abuse:    {baseline:8.1f} req/s  (phases: {', '.join(f'{r:.1f}' for r in clean)})")
    print(
        f"legitimate searches, under abuse: {under_abuse:8.1f} req/s  (phases: {', '.join(f'{r:.1f}' for r in abused)})"
    )
    total = sum(abuse.values())
    statuses = ", ".join(f"{status}: {count:,}" for status, count in sorted(abuse.items()))
    print(f"abusive client: {total:,} refused requests, {total / flood_seconds:,.0f} req/s ({statuses})")
    pairs = sorted(b / a for a, b in zip(clean, abused, strict=True))
    print(f"ratio per pair of phases: median {statistics.median(pairs):.2f}, min {pairs[0]:.2f}, max {pairs[-1]:.2f}")
    print(f"ratio under abuse / no abuse: {under_abuse / baseline:.2f} (target >= 0.9)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Query latency while one upsert fans out to 2,000 live subscriptions, against idle latency in the
same run (issue 18, finding 5).

One uvicorn worker serves the API (`serve --no-worker`, default websocket caps) over a small demo
data set; an indexer worker runs as its own process and publishes the change events through Redis
(BENCH_REDIS_URL, default redis://127.0.0.1:6379/5, under a namespace of the run's own), as in
production, so that the API process does the fan-out and nothing else. A subscriber process opens
`--subscriptions` `disclosurePublished` subscriptions within the caps (10 per socket, at most 20 per
key or per anonymous address, 16 sockets per address): half from JOURNALIST keys, half anonymous, from
distinct loopback addresses (127.0.x.y); their filters cycle through none, two categories and a
region. The main process keeps `--in-flight` simple queries going (`disclosures(first: 5)`,
anonymous) and records their latencies: first `--idle-seconds` with the subscriptions open and no
events (the baseline), then from the moment one `--records`-record import is written until the last
subscription message has arrived (the fan-out).

    python -m bench.live_fanout [--subscriptions 2000] [--records 500] [--subjects 300]
                                [--idle-seconds 10] [--in-flight 4] [--fanout-per-tick N]
                                [--fanout-per-second N]

Prints both p50/p99, the ratio of the p99s (target < 3), the messages the subscribers received and how
long the fan-out took.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import json
import multiprocessing
import os
import subprocess
import sys
import time
import uuid
from typing import Any

import httpx
import orjson
import websockets

from bench.common import (
    bench_environment,
    bench_runtime,
    creditgraph_environment,
    demo_subject_lines,
    free_port,
    load_demo,
    percentile,
    wait_http,
)
from credit import clock
from credit.access.repository import insert_key
from credit.enums import Role
from credit.records.importer import Importer

DB = "creditgraph_bench_fanout"
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
PER_SOCKET = 10
PER_CLIENT = 20
SOCKETS_PER_ADDRESS = 2  # anonymous: 20 subscriptions an address; keyed: 2 sockets a key
PUBLISHED = """subscription($filter: DisclosureFilter) {
  disclosurePublished(filter: $filter) { id title category status publishedOn authority
    subject { kind name code regionCode } } }"""
FILTERS: list[dict[str, Any] | None] = [
    None,
    {"categories": ["ADMINISTRATIVE_PENALTY"]},
    {"categories": ["RED_LIST"]},
    {"regionCodePrefix": "3204"},
]
PROBE = b'{"query":"{ disclosures(first: 5) { totalCount edges { node { id title } } } }"}'
CATEGORIES = ("ADMINISTRATIVE_PENALTY", "RED_LIST", "ADMINISTRATIVE_LICENSE", "DISHONEST_JUDGMENT_DEBTOR")
AUTHORITY = "常州市市场监督管理局"


def socket_plan(subscriptions: int, keys: list[str]) -> list[tuple[str, str | None]]:
    """(source address, key or None) of each socket: half keyed (two sockets a key), half anonymous
    (two sockets an address), every address well within the sockets-per-address cap."""
    sockets = (subscriptions + PER_SOCKET - 1) // PER_SOCKET
    keyed = sockets // 2
    plan: list[tuple[str, str | None]] = []
    for i in range(keyed):
        plan.append((f"127.0.30.{i // 8 + 1}", keys[i // SOCKETS_PER_ADDRESS]))
    for i in range(sockets - keyed):
        plan.append((f"127.0.20.{i // SOCKETS_PER_ADDRESS + 1}", None))
    return plan


async def _subscribe(url: str, plan: list[tuple[str, str | None]], subscriptions: int, counts: Any) -> None:
    """Open the sockets and subscriptions of `plan`, report "ready", then count messages until told to stop."""
    left = subscriptions
    filters = itertools.cycle(FILTERS)
    sockets: list[websockets.ClientConnection] = []
    for address, key in plan:
        ws = await websockets.connect(
            url,
            subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
            local_addr=(address, 0),
            max_queue=None,
            compression=None,
        )
        payload = {"Authorization": f"Bearer {key}"} if key else {}
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        ack = json.loads(await ws.recv())
        assert ack["type"] == "connection_ack", ack
        for n in range(min(PER_SOCKET, left)):
            message = {"query": PUBLISHED, "variables": {"filter": next(filters)}}
            await ws.send(json.dumps({"id": str(n), "type": "subscribe", "payload": message}))
        left -= min(PER_SOCKET, left)
        sockets.append(ws)
    received = 0
    errors = 0
    last = 0.0

    async def read(ws: websockets.ClientConnection) -> None:
        nonlocal received, errors, last
        async for raw in ws:
            if '"type":"next"' in str(raw) and '"errors"' not in str(raw):
                received += 1
            else:
                errors += 1
            last = time.time()

    readers = [asyncio.create_task(read(ws)) for ws in sockets]
    await asyncio.sleep(1.0)
    counts.put(("ready", errors))
    while True:
        await asyncio.sleep(0.2)
        counts.put(("count", received, last, errors))
        if any(task.done() for task in readers):
            counts.put(("closed", sum(1 for task in readers if task.done())))
            return


def subscriber_process(url: str, plan: list[tuple[str, str | None]], subscriptions: int, counts: Any) -> None:
    asyncio.run(_subscribe(url, plan, subscriptions, counts))


async def probe(url: str, until: Any, in_flight: int) -> list[float]:
    """Latencies (ms) of `in_flight` concurrent simple queries, back to back, while `until()` is false."""
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    headers = {"content-type": "application/json"}
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:

        async def worker() -> None:
            while not until():
                started = time.perf_counter()
                response = await client.post(url, content=PROBE, headers=headers)
                assert response.status_code == 200 and b'"errors"' not in response.content, response.text
                latencies.append((time.perf_counter() - started) * 1000)

        await asyncio.gather(*(worker() for _ in range(in_flight)))
    return latencies


def record_lines(codes: list[str], count: int) -> list[dict[str, Any]]:
    today = clock.today()
    lines = []
    for i in range(count):
        category = CATEGORIES[i % len(CATEGORIES)]
        line: dict[str, Any] = {
            "type": "record",
            "sourceId": f"FANOUT-{time.time_ns()}-{i}",
            "authority": AUTHORITY,
            "subjectCode": codes[i % len(codes)],
            "category": category,
            "title": f"扇出测试记录 {i}",
            "decisionNumber": f"常市监〔{today.year}〕{i}号",
            "decidedOn": (today - dt.timedelta(days=2)).isoformat(),
            "publishedOn": today.isoformat(),
        }
        if category == "ADMINISTRATIVE_PENALTY":
            line["severity"] = "GENERAL"
        if category in ("RED_LIST", "ADMINISTRATIVE_LICENSE"):
            line["validFrom"] = line["decidedOn"]
            line["validUntil"] = (today + dt.timedelta(days=700)).isoformat()
        lines.append(line)
    return lines


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscriptions", type=int, default=2000)
    parser.add_argument("--records", type=int, default=500)
    parser.add_argument("--subjects", type=int, default=300)
    parser.add_argument("--idle-seconds", type=float, default=10)
    parser.add_argument("--in-flight", type=int, default=4)
    parser.add_argument("--fanout-per-tick", type=int, default=None, help="the server's WS_FANOUT_PER_TICK")
    parser.add_argument("--fanout-per-second", type=float, default=None, help="the server's WS_FANOUT_PER_SECOND")
    args = parser.parse_args()
    with bench_environment(DB) as settings:
        asyncio.run(load_demo(settings, args.subjects))
        companies = [str(s["code"]) for s in demo_subject_lines(args.subjects) if s["kind"] != "NATURAL_PERSON"]

        async def make_keys() -> list[str]:
            async with bench_runtime(settings) as runtime, runtime.sessions.begin() as session:
                count = args.subscriptions // 2 // PER_CLIENT + 1
                return [(await insert_key(session, Role.JOURNALIST, f"fanout-{i}"))[1] for i in range(count)]

        keys = asyncio.run(make_keys())
        port = free_port()
        command = [sys.executable, "-m", "uvicorn", "--factory", "creditgraph.wiring:app_from_environment"]
        command += ["--log-level", "warning", "--host", "127.0.0.1", "--port", str(port)]
        environment = {**creditgraph_environment(settings), "CREDITGRAPH_RUN_WORKER": "0", "REDIS_URL": REDIS}
        environment["REDIS_NAMESPACE"] = environment["RATE_LIMIT_KEY_PREFIX"] = f"fanout{uuid.uuid4().hex[:8]}:"
        if args.fanout_per_tick is not None:
            environment["WS_FANOUT_PER_TICK"] = str(args.fanout_per_tick)
        if args.fanout_per_second is not None:
            environment["WS_FANOUT_PER_SECOND"] = str(args.fanout_per_second)
        server = subprocess.Popen(command, env=environment)
        worker = subprocess.Popen([sys.executable, "-m", "creditgraph.cli", "worker"], env=environment)
        try:
            wait_http(f"http://127.0.0.1:{port}/health", server)
            url = f"http://127.0.0.1:{port}/graphql"
            plan = socket_plan(args.subscriptions, keys)
            context = multiprocessing.get_context("spawn")
            counts = context.Queue()
            subscribers = context.Process(
                target=subscriber_process, args=(url.replace("http", "ws"), plan, args.subscriptions, counts)
            )
            subscribers.start()
            ready = counts.get(timeout=300)
            assert ready == ("ready", 0), f"subscriptions refused: {ready}"
            print(f"{args.subscriptions:,} subscriptions open on {len(plan)} sockets", flush=True)
            warm_end = time.monotonic() + 2
            asyncio.run(probe(url, lambda: time.monotonic() > warm_end, args.in_flight))
            idle_end = time.monotonic() + args.idle_seconds
            idle = asyncio.run(probe(url, lambda: time.monotonic() > idle_end, args.in_flight))

            state = {"received": 0, "last": 0.0, "errors": 0}

            def drained() -> bool:
                while not counts.empty():
                    message = counts.get()
                    if message[0] == "count":
                        state["received"], state["last"], state["errors"] = message[1], message[2], message[3]
                    elif message[0] == "closed":
                        raise RuntimeError(f"{message[1]} subscriber sockets were closed")
                return state["received"] > 0 and time.time() - state["last"] > 1.5

            async def fan_out() -> tuple[list[float], float]:
                async def write() -> float:
                    async with bench_runtime(settings) as runtime:
                        started = time.time()
                        lines = record_lines(companies, args.records)
                        summary = await Importer(runtime, actor="bench").run(orjson.dumps(line) for line in lines)
                        assert not summary.rejected, summary.rejected[:3]
                        return started

                writer = asyncio.create_task(write())
                latencies = await probe(url, drained, args.in_flight)
                return latencies, await writer

            during, started = asyncio.run(fan_out())
            fan_out_seconds = state["last"] - started
            subscribers.terminate()
            subscribers.join(10)
        finally:
            for process in (worker, server):
                process.terminate()
                process.wait(10)
    idle_p50, idle_p99 = percentile(idle, 0.5), percentile(idle, 0.99)
    busy_p50, busy_p99 = percentile(during, 0.5), percentile(during, 0.99)
    print(f"{args.records} records upserted in one import; {args.subscriptions:,} subscriptions; one uvicorn worker")
    received, errors = state["received"], state["errors"]
    print(f"subscription messages received: {received:,} in {fan_out_seconds:.1f} s (errors: {errors})")
    print(f"simple queries, idle:        p50 {idle_p50:7.1f} ms  p99 {idle_p99:7.1f} ms  ({len(idle):,} queries)")
    print(f"simple queries, fan-out:     p50 {busy_p50:7.1f} ms  p99 {busy_p99:7.1f} ms  ({len(during):,} queries)")
    print(f"ratio p99 fan-out / idle: {busy_p99 / idle_p99:.2f} (target < 3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

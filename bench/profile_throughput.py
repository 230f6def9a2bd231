"""Profile look-ups by code: GraphQL (warm and cold cache) against a bare Starlette endpoint.

The baseline is measured in the same run, on the same database, with the same client: a bare
Starlette endpoint that reads the same subject row and its records with two statements and returns
the same JSON. Each server is one uvicorn worker; the client keeps 16 requests in flight.

    python -m bench.profile_throughput [--subjects 5000] [--seconds 10]

Prints requests/s for each scenario and the ratios (targets: warm ≥ 0.5, cold ≥ 0.3), then, after
a further run of searches over the whole index, the API worker's RSS (target ≤ 300 MB per worker
with 100,000 subjects: `--subjects 100000`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson
import psycopg

ADMIN = os.environ.get("BENCH_ADMIN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
DB = "creditgraph_bench_profile"

QUERY = """query($code: String!) { subject(code: $code) { name code kind regionCode
  creditProfile { activeFlags { code name } records(first: 20) { totalCount
    edges { node { title category status authority decidedOn publishedOn } } } } } }"""

SEARCH = """query($q: String!) { searchSubjects(query: $q, first: 10) { totalCount
  edges { node { name code creditProfile { activeFlags { code } } } } } }"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen[bytes], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


async def drive(url: str, bodies: list[dict[str, object]], seconds: float, cycle: bool) -> tuple[float, int]:
    """Requests per second with 16 in flight; with cycle=False every body is sent once at most."""
    done = 0
    errors = 0
    position = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=16, max_keepalive_connections=16)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def worker() -> None:
            nonlocal done, errors, position
            while time.perf_counter() < deadline:
                if not cycle and position >= len(bodies):
                    return
                body = bodies[position % len(bodies)]
                position += 1
                response = await client.post(
                    url, content=orjson.dumps(body), headers={"content-type": "application/json"}
                )
                if response.status_code != 200 or b'"errors"' in response.content:
                    errors += 1
                done += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(16)))
        elapsed = time.perf_counter() - started
    return done / elapsed, errors


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory now (VmRSS) or at its peak (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subjects", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")
    url = ADMIN.rsplit("/", 1)[0] + "/" + DB
    from osmem_server import OsmemServer

    from credit.demo import generate

    search = OsmemServer.start(japanese=False)
    home = tempfile.mkdtemp(prefix="creditgraph-bench-")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "ELASTICSEARCH_URL": search.url,
        "REDIS_URL": REDIS,
        "CREDITGRAPH_HOME": home,
        "CREDITGRAPH_SECRET_KEY": "bench",
        "CREDITGRAPH_RUN_WORKER": "0",
        # One client address drives the whole load: lift the per-address limit for the run.
        "RATE_LIMIT_COST_PER_ADDRESS": "1000000000",
        "RATE_LIMIT_COST_PER_KEY": "1000000000",
    }
    path = Path(home) / "data.ndjson"
    lines = list(generate(subjects=args.subjects, seed=3))
    path.write_bytes(b"\n".join(orjson.dumps(line) for line in lines))
    subprocess.run([sys.executable, "-m", "creditgraph.cli", "import", str(path)], env=env, check=True)
    # Indexed too, so that the memory figure covers searches over every subject as well as profiles.
    subprocess.run([sys.executable, "-m", "creditgraph.cli", "reindex"], env=env, check=True)
    names = [str(line["name"]) for line in lines if line["type"] == "subject" and line["kind"] != "NATURAL_PERSON"]
    codes = [str(line["code"]) for line in lines if line["type"] == "subject" and line["kind"] != "NATURAL_PERSON"]
    random.Random(1).shuffle(codes)

    api_port, bare_port = free_port(), free_port()
    uvicorn = [sys.executable, "-m", "uvicorn", "--log-level", "warning", "--host", "127.0.0.1"]
    api = subprocess.Popen([*uvicorn, "--factory", "api.app:app_from_environment", "--port", str(api_port)], env=env)
    bare = subprocess.Popen([*uvicorn, "bench.bare_profile:app", "--port", str(bare_port)], env=env)
    try:
        wait_http(f"http://127.0.0.1:{api_port}/health", api)
        wait_http(f"http://127.0.0.1:{bare_port}/health", bare)
        import redis

        hot = codes[:200]
        graphql = f"http://127.0.0.1:{api_port}/graphql"
        bare_url = f"http://127.0.0.1:{bare_port}/profile"

        def bodies(selection: list[str]) -> list[dict[str, object]]:
            return [{"query": QUERY, "variables": {"code": c}} for c in selection]

        async def run() -> dict[str, float]:
            out: dict[str, float] = {}
            await drive(graphql, bodies(hot), 2, cycle=True)  # warm-up (and fill the cache)
            await drive(bare_url, [{"code": c} for c in hot], 2, cycle=True)
            out["bare"], _ = await drive(bare_url, [{"code": c} for c in hot], args.seconds, cycle=True)
            out["warm"], errors = await drive(graphql, bodies(hot), args.seconds, cycle=True)
            assert errors == 0, f"{errors} GraphQL errors"
            redis.Redis.from_url(REDIS).flushdb()
            cold_codes = codes[200:]
            out["cold"], errors = await drive(graphql, bodies(cold_codes), args.seconds, cycle=False)
            assert errors == 0, f"{errors} GraphQL errors"
            out["bare_cold"], _ = await drive(bare_url, [{"code": c} for c in cold_codes], args.seconds, cycle=False)
            searches: list[dict[str, object]] = [
                {"query": SEARCH, "variables": {"q": n[2:8]}} for n in random.Random(2).sample(names, 2000)
            ]
            out["search"], errors = await drive(graphql, searches, args.seconds, cycle=True)
            assert errors == 0, f"{errors} GraphQL errors"
            return out

        result = asyncio.run(run())
        print(f"bare endpoint (hot codes):   {result['bare']:8.0f} req/s")
        print(f"GraphQL, warm cache:         {result['warm']:8.0f} req/s   ratio {result['warm'] / result['bare']:.2f}")
        print(f"bare endpoint (fresh codes): {result['bare_cold']:8.0f} req/s")
        cold_ratio = result["cold"] / result["bare_cold"]
        print(f"GraphQL, cold cache:         {result['cold']:8.0f} req/s   ratio {cold_ratio:.2f}")
        print(f"searchSubjects (for the memory figure): {result['search']:8.0f} req/s")
        print(
            f"API worker RSS after the runs: {rss_mb(api.pid):.0f} MB, peak {rss_mb(api.pid, 'VmHWM'):.0f} MB"
            f" ({args.subjects:,} subjects in PostgreSQL)"
        )
    finally:
        for proc in (api, bare):
            proc.terminate()
            proc.wait(10)
        search.close()
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

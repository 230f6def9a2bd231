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
import subprocess
import sys

import orjson

from bench.common import bench_environment, creditgraph_environment, free_port, memory_mb, post_load, wait_http
from creditgraph.demo.generator import generate

REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
DB = "creditgraph_bench_profile"

QUERY = """query($code: String!) { subject(code: $code) { name code kind regionCode
  creditProfile { activeFlags { code name } records(first: 20) { totalCount
    edges { node { title category status authority decidedOn publishedOn } } } } } }"""

SEARCH = """query($q: String!) { searchSubjects(query: $q, first: 10) { totalCount
  edges { node { name code creditProfile { activeFlags { code } } } } } }"""


async def drive(url: str, bodies: list[dict[str, object]], seconds: float, cycle: bool) -> tuple[float, int]:
    """Requests per second with 16 in flight, and the errors; with cycle=False every body is sent once at most."""
    position = 0

    def next_body() -> tuple[bytes, dict[str, str]] | None:
        nonlocal position
        if not cycle and position >= len(bodies):
            return None
        body = bodies[position % len(bodies)]
        position += 1
        return orjson.dumps(body), {"content-type": "application/json"}

    succeeded, errors, elapsed = await post_load(url, next_body, seconds)
    return (succeeded + errors) / elapsed, errors


def measure(env: dict[str, str], args: argparse.Namespace, names: list[str], codes: list[str]) -> None:
    """Start the API and the bare endpoint (one uvicorn worker each), drive both, print the figures."""
    api_port, bare_port = free_port(), free_port()
    uvicorn = [sys.executable, "-m", "uvicorn", "--log-level", "warning", "--host", "127.0.0.1"]
    api = subprocess.Popen(
        [*uvicorn, "--factory", "creditgraph.wiring:app_from_environment", "--port", str(api_port)], env=env
    )
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
            sample = random.Random(2).sample(names, min(2000, len(names)))
            searches: list[dict[str, object]] = [{"query": SEARCH, "variables": {"q": n[2:8]}} for n in sample]
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
            f"API worker RSS after the runs: {memory_mb(api.pid):.0f} MB, peak {memory_mb(api.pid, 'VmHWM'):.0f} MB"
            f" ({args.subjects:,} subjects in PostgreSQL)"
        )
    finally:
        for proc in (api, bare):
            proc.terminate()
            proc.wait(10)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subjects", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    with bench_environment(DB) as settings:
        env = {
            **creditgraph_environment(settings),  # rate limits lifted: one client address drives the whole load
            "REDIS_URL": REDIS,
            "CREDITGRAPH_RUN_WORKER": "0",
        }
        path = settings.home / "data.ndjson"
        lines = list(generate(subjects=args.subjects, seed=3))
        path.write_bytes(b"\n".join(orjson.dumps(line) for line in lines))
        subprocess.run([sys.executable, "-m", "creditgraph.cli", "import", str(path)], env=env, check=True)
        # Indexed too, so that the memory figure covers searches over every subject as well as profiles.
        subprocess.run([sys.executable, "-m", "creditgraph.cli", "reindex"], env=env, check=True)
        organisations = [line for line in lines if line["type"] == "subject" and line["kind"] != "NATURAL_PERSON"]
        names = [str(line["name"]) for line in organisations]
        codes = [str(line["code"]) for line in organisations]
        random.Random(1).shuffle(codes)
        measure(env, args, names, codes)
    return 0


if __name__ == "__main__":
    sys.exit(main())

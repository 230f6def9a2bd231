"""Import throughput and memory: `creditgraph import` of N generated lines into a fresh database.

Baseline, measured in the same run on the same database: PostgreSQL's COPY of the very same lines
into a one-column table (the raw ingest ceiling, with no validation, no upsert and no outbox).

    python -m bench.import_rate [--lines 1000000]

Prints lines/s for both, their ratio, and the importer's peak RSS (it must not grow with N).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

import orjson
import psycopg

from bench.common import SECRET, dedicated_database, memory_mb
from creditgraph.demo.generator import generate


def write_lines(path: Path, lines: int) -> None:
    # Subjects come first in the generator, then about 1.5 records per subject.
    subjects = max(100, lines // 2)
    with path.open("wb") as fh:
        for line in islice(generate(subjects=subjects, seed=1), lines):
            fh.write(orjson.dumps(line) + b"\n")


def copy_rate(url: str, path: Path, lines: int) -> float:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE raw_lines (line jsonb)")
        started = time.perf_counter()
        with conn.cursor() as cur, cur.copy("COPY raw_lines (line) FROM STDIN") as copy, path.open("rb") as fh:
            for raw in fh:
                copy.write_row((raw.rstrip(b"\n").decode(),))
        return lines / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="creditgraph-bench-") as tmp, contextlib.ExitStack() as databases:
        path = Path(tmp) / "lines.ndjson"
        started = time.perf_counter()
        write_lines(path, args.lines)
        size_mb = path.stat().st_size / 1e6
        print(f"generated {args.lines:,} lines ({size_mb:.0f} MB) in {time.perf_counter() - started:.0f} s")
        url = databases.enter_context(dedicated_database("creditgraph_bench_import"))
        env = {**os.environ, "DATABASE_URL": url, "CREDITGRAPH_HOME": tmp, "CREDITGRAPH_SECRET_KEY": SECRET}
        cli = [sys.executable, "-m", "creditgraph.cli"]
        subprocess.run([*cli, "outbox"], env=env, check=True, capture_output=True)  # migrate first
        started = time.perf_counter()
        with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
            proc = subprocess.Popen([*cli, "import", str(path)], env=env, stdout=stdout, stderr=stderr)
            peak_mb = 0.0
            while proc.poll() is None:
                peak_mb = max(peak_mb, memory_mb(proc.pid, "VmHWM"))  # NaN once it has exited: max keeps the peak
                time.sleep(0.2)
            elapsed = time.perf_counter() - started
            stdout.seek(0)
            stderr.seek(0)
            output, errors = stdout.read().decode(), stderr.read().decode()
        print(output.strip().splitlines()[-1] if output.strip() else errors[-2000:])
        import_rate = args.lines / elapsed
        baseline = copy_rate(databases.enter_context(dedicated_database("creditgraph_bench_copy")), path, args.lines)
        print(f"import:   {import_rate:,.0f} lines/s ({elapsed:.0f} s), peak RSS {peak_mb:.0f} MB")
        print(f"COPY:     {baseline:,.0f} lines/s (baseline: same lines, same server)")
        print(f"ratio import/COPY: {import_rate / baseline:.3f}")
    return 0 if proc.returncode in (0, 1) else proc.returncode


if __name__ == "__main__":
    sys.exit(main())

"""Smoke test of the embedded default, as a new user runs it: `creditgraph demo` with no
DATABASE_URL / ELASTICSEARCH_URL / REDIS_URL, then `searchSubjects` and `subject` over HTTP.

Run by CI as `python -m tests.smoke`; exits non-zero on any failure.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> int:
    port = free_port()
    home = Path(tempfile.mkdtemp(prefix="creditgraph-smoke-"))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ELASTICSEARCH_URL", "REDIS_URL")}
    env["CREDITGRAPH_HOME"] = str(home)
    cli = Path(sys.executable).with_name("creditgraph")
    log = (home / "demo.log").open("w+")
    proc = subprocess.Popen(
        [str(cli), "demo", "--subjects", "3000", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/graphql"
    try:
        started = time.monotonic()
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"demo exited with {proc.returncode}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() - started > 300:
                raise RuntimeError("demo did not answer within 300 s")
            time.sleep(0.5)
        print(f"demo answered after {time.monotonic() - started:.1f} s")
        log.seek(0)
        output = log.read()
        assert "FINANCIAL_INSTITUTION" in output and "cg_" in output, "demo keys were not printed"
        company = httpx.post(
            url,
            json={
                "query": '{ searchSubjects(query: "有限公司", first: 1) { totalCount edges { node { name code } } } }'
            },
        ).json()
        edges = company["data"]["searchSubjects"]["edges"]
        assert company["data"]["searchSubjects"]["totalCount"] > 0 and edges, company
        node = edges[0]["node"]
        found = httpx.post(
            url,
            json={
                "query": "query($q: String!) { searchSubjects(query: $q, first: 3) { edges { node { code } } } }",
                "variables": {"q": node["name"]},
            },
        ).json()
        assert found["data"]["searchSubjects"]["edges"][0]["node"]["code"] == node["code"], found
        profile = httpx.post(
            url,
            json={
                "query": "query($c: String!) { subject(code: $c) { name creditProfile { activeFlags { code } "
                "records { totalCount } } } }",
                "variables": {"c": node["code"]},
            },
        ).json()
        assert profile["data"]["subject"]["name"] == node["name"], profile
        # The public website, served by the demo: the subject's page and the feed, rendered server-side.
        page = httpx.get(f"http://127.0.0.1:{port}/subjects/{node['code']}", timeout=30)
        assert page.status_code == 200 and node["name"] in page.text, page.status_code
        feed = httpx.get(f"http://127.0.0.1:{port}/disclosures", timeout=30)
        assert feed.status_code == 200 and 'class="record"' in feed.text, feed.status_code
        stop(proc)
        # `docker stop` sends SIGTERM: the embedded PostgreSQL (a daemon in a session of its own)
        # and the engine must go with the service.
        deadline = time.monotonic() + 30
        while (left := processes_using(home)) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not left, f"still running after SIGTERM: {left}"
        print(
            "smoke passed:",
            node["name"],
            profile["data"]["subject"]["creditProfile"]["records"]["totalCount"],
            "records; nothing left running after SIGTERM",
        )
        return 0
    except Exception as exc:  # report and fail
        log.seek(0)
        print(log.read()[-4000:], file=sys.stderr)
        print(f"smoke failed: {exc!r}", file=sys.stderr)
        return 1
    finally:
        stop(proc)
        log.close()
        shutil.rmtree(home, ignore_errors=True)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def processes_using(home: Path) -> list[str]:
    """Command lines of the processes that name `home` (the embedded PostgreSQL does)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if str(home) in cmdline:
                found.append(cmdline.strip())
    return found


if __name__ == "__main__":
    sys.exit(main())

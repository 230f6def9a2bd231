"""`creditgraph serve` as an operator starts it (issue 18, finding 11): uvicorn must not take the
client's address from `X-Forwarded-For` sent by a loopback peer; without `TRUSTED_PROXIES` every
request of this client counts against its own address, whatever the header says."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import httpx
import pytest

from credit.platform.config import Settings
from tests.conftest import ROOT, free_port

pytestmark = pytest.mark.e2e

SEARCH = '{ searchSubjects(query: "常州科技") { totalCount } }'


def test_forwarded_for_from_loopback_is_not_believed(settings: Settings) -> None:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": str(settings.database_url),
        "ELASTICSEARCH_URL": str(settings.elasticsearch_url),
        "CREDITGRAPH_SECRET_KEY": "test-secret-key-not-for-production",
        "SEARCH_INDEX_PREFIX": settings.search_index_prefix,
        "CREDITGRAPH_HOME": str(settings.creditgraph_home),
        "RATE_LIMIT_COST_PER_ADDRESS": "25",  # a search costs 10: two pass, the third is refused
        "RATE_LIMIT_DELAY_SECONDS": "0",
        "RATE_LIMIT_KEY_PREFIX": f"serve:{uuid.uuid4().hex}:",
        "TRUSTED_PROXIES": "",
    }
    env.pop("REDIS_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "creditgraph.cli", "serve", "--port", str(port), "--no-worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(timeout=10) as http:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if http.get(f"{url}/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.2)
            statuses = [
                http.post(
                    f"{url}/graphql", json={"query": SEARCH}, headers={"X-Forwarded-For": f"203.0.113.{i}"}
                ).status_code
                for i in range(3)
            ]
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert statuses == [200, 200, 429]

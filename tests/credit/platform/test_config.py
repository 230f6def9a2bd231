"""`serve --workers N`: the API workers share Redis and one connection budget."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from credit.platform.config import Settings, pool_size_per_worker

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("workers", "expected"),
    [(1, 10), (2, 10), (3, 10), (4, 7), (8, 3), (40, 2)],
)
def test_workers_share_the_budget(workers: int, expected: int) -> None:
    size = pool_size_per_worker(60, workers, default=10)
    assert size == expected
    assert workers * 2 * size <= 60 or size == 2  # pool plus overflow; never below two a worker


def test_each_worker_reads_its_share_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_POOL_SIZE", "7")
    assert Settings(CREDITGRAPH_SECRET_KEY="x").db_pool_size == 7


def test_several_workers_need_redis(tmp_path: Path) -> None:
    """Without Redis, one worker's cache would miss the changes another worker's indexer applied."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "ELASTICSEARCH_URL")}
    env.update(DATABASE_URL="postgresql://postgres@127.0.0.1:1/none", CREDITGRAPH_HOME=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-m", "creditgraph.cli", "serve", "--workers", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "needs REDIS_URL" in " ".join(result.stderr.split())

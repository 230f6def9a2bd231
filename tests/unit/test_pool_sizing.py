"""`serve --workers N` shares one connection budget among its API workers."""

from __future__ import annotations

import pytest

from credit.config import Settings, pool_size_per_worker


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

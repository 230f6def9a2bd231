"""Running the `creditgraph` command line as an operator would, against a test session's services."""

from __future__ import annotations

import os
import subprocess
import sys

from credit.platform.config import Settings
from tests.conftest import ROOT


def cli(settings: Settings, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m creditgraph.cli ARGS` with the settings' database, engine, secret and home."""
    env = {
        **os.environ,
        "DATABASE_URL": str(settings.database_url),
        "ELASTICSEARCH_URL": str(settings.elasticsearch_url),
        "CREDITGRAPH_SECRET_KEY": settings.secret_key.get_secret_value() if settings.secret_key else "",
        "SEARCH_INDEX_PREFIX": settings.search_index_prefix,
        "CREDITGRAPH_HOME": str(settings.creditgraph_home),
        "COLUMNS": "200",
    }
    env.pop("REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "creditgraph.cli", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )

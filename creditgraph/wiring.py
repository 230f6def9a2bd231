"""What `creditgraph serve` runs in one process: the API (`api`) with an indexer (`indexers`) beside it.

`api` does not import `indexers` (the import-linter contracts in pyproject.toml say so); this module
joins them: it prepares the index before the API answers and runs the in-process indexer worker.
"""

from __future__ import annotations

import asyncio
import logging
import os

from elasticsearch import ApiError, TransportError
from starlette.applications import Starlette

from api.http.app import Background, OnStart
from api.http.app import create_app as create_api
from credit.platform.config import Settings, get_settings
from credit.platform.runtime import Runtime
from credit.search.client import IndexState, ensure_alias, index_state
from indexers.reindex import reindex
from indexers.worker import Indexer

log = logging.getLogger("creditgraph")


async def prepare_index(runtime: Runtime) -> None:
    """Make sure the alias serves an index of this release. The embedded engine's index is (re)built
    from PostgreSQL when it is new, missing or outdated; an outdated index of an external engine is
    left serving (a rebuild is `creditgraph reindex`, with no downtime) and `/ready` says so. Profiles,
    checks and feeds need only PostgreSQL, so an engine that does not answer is left to the indexer."""
    if runtime.search is None:
        return
    try:
        state = IndexState.MISSING if runtime.search_is_new else await index_state(runtime.search, runtime.alias)
        if runtime.search_embedded and state in (IndexState.MISSING, IndexState.OUTDATED):
            summary = await reindex(runtime)
            log.info("search index built: %d subjects in %.1f s", summary.subjects, summary.seconds)
        elif state is IndexState.OUTDATED:
            log.warning("the search index was built by another release: run `creditgraph reindex`")
        else:
            await ensure_alias(runtime.search, runtime.alias)
    except (ApiError, TransportError) as exc:
        log.warning("search engine unavailable at start (%s); serving without it", type(exc).__name__)


async def run_indexer(runtime: Runtime, stop: asyncio.Event) -> None:
    if runtime.search is not None:
        await Indexer(runtime).run(stop)


def create_app(
    settings: Settings | None = None, *, run_worker: bool = True, runtime: Runtime | None = None
) -> Starlette:
    """The API, preparing the index at start and, unless `run_worker` is false, indexing in-process."""
    background: list[Background] = [run_indexer] if run_worker else []
    on_start: list[OnStart] = [prepare_index]
    return create_api(settings or get_settings(), runtime=runtime, on_start=on_start, background=background)


def app_from_environment() -> Starlette:
    """Factory for `uvicorn --factory` (several workers): settings from the environment."""
    return create_app(Settings(), run_worker=os.environ.get("CREDITGRAPH_RUN_WORKER", "1") == "1")

"""Shared by the indexer's integration and fault tests: a database of their own, a TCP proxy that
cuts the engine off on purpose, a worker run as a separate OS process, and the index-vs-PostgreSQL
comparison.

The indexer tests run workers (in-process and as subprocesses) that would otherwise compete with
the API server's in-process worker for the session database's outbox, so they get their own
database and index prefix: what they count is then theirs alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from elasticsearch import AsyncElasticsearch
from sqlalchemy import select, text

from credit.models import Subject
from credit.platform.config import Settings
from credit.platform.runtime import Runtime, SearchMode, open_runtime
from indexers.documents import read_documents
from tests.conftest import ROOT

SECRET = "test-secret-key-not-for-production"


@contextlib.contextmanager
def dedicated_database(admin_url: str, name: str) -> Iterator[str]:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    base, _, query = admin_url.partition("?")
    yield base.rsplit("/", 1)[0] + "/" + name + (f"?{query}" if query else "")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def settings_for(database_url: str, search_url: str, home: Path, prefix: str) -> Settings:
    return Settings(
        database_url=database_url,
        redis_url=None,
        elasticsearch_url=search_url,
        creditgraph_home=home,
        CREDITGRAPH_SECRET_KEY=SECRET,
        SEARCH_INDEX_PREFIX=prefix,
    )


@contextlib.asynccontextmanager
async def own_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    async with open_runtime(settings, search=SearchMode.CONNECT, pool_size=8) as runtime:
        yield runtime


async def reset(runtime: Runtime) -> None:
    """Empty tables and indices of this runtime (its own database and prefix)."""
    from credit.search.client import ensure_alias

    async with runtime.engine.begin() as conn:
        await conn.execute(
            text(
                "TRUNCATE record_events, audit_log, repairs, objections, outbox, api_keys, records, subjects,"
                " subject_time_boundaries RESTART IDENTITY CASCADE"
            )
        )
    assert runtime.search is not None
    await runtime.search.options(ignore_status=404).indices.delete(index=f"{runtime.alias}_*")
    await ensure_alias(runtime.search, runtime.alias)


# --- a TCP proxy between the worker and the engine, to cut the engine off --------------------------


class TcpProxy:
    """Forwards 127.0.0.1:<port> to `target`; `stop()` refuses and drops connections, `start()` resumes.

    It runs its own event loop in a thread, so a busy test loop never slows the traffic down.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name="tcp-proxy")
        self._thread.start()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    def start(self) -> None:
        self._call(self._start())

    def stop(self) -> None:
        self._call(self._stop())

    def close(self) -> None:
        self.stop()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    async def _start(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port, reuse_address=True)

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers -= {writer, up_writer}


# --- a worker in its own OS process -------------------------------------------------------------------


class WorkerProcess:
    """`python -m creditgraph.cli worker` with the environment of `settings`; killable with SIGKILL."""

    def __init__(self, settings: Settings, search_url: str, log_path: Path) -> None:
        self.env = {
            **os.environ,
            "DATABASE_URL": str(settings.database_url),
            "ELASTICSEARCH_URL": search_url,
            "CREDITGRAPH_SECRET_KEY": SECRET,
            "SEARCH_INDEX_PREFIX": settings.search_index_prefix,
            "CREDITGRAPH_HOME": str(settings.creditgraph_home),
            "SEARCH_ENGINE_FLAVOR": "opensearch",
        }
        self.env.pop("REDIS_URL", None)
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "creditgraph.cli", "worker"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


# --- the index against PostgreSQL -----------------------------------------------------------------------


@dataclass
class Comparison:
    checked: int = 0
    missing: list[int] = field(default_factory=list)  # in PostgreSQL, not in the index
    stale: list[int] = field(default_factory=list)  # indexed with another revision or other content
    resurrected: list[int] = field(default_factory=list)  # in the index, not (any more) in PostgreSQL


async def compare_index(runtime: Runtime, client: AsyncElasticsearch, deleted: Collection[int] = ()) -> Comparison:
    """Every subject's indexed document against the one rebuilt from PostgreSQL now."""
    result = Comparison()
    async with runtime.sessions() as session:
        ids = list((await session.scalars(select(Subject.id).order_by(Subject.id))).all())
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        batch = await read_documents(runtime, chunk)
        assert not batch.errors, batch.errors
        found = (await client.mget(index=runtime.alias, ids=[str(i) for i in chunk]))["docs"]
        for doc in found:
            sid = int(doc["_id"])
            expected = batch.documents.get(sid)
            if expected is None:  # vanished since the id list was read
                continue
            result.checked += 1
            if not doc.get("found"):
                result.missing.append(sid)
            elif doc["_version"] != expected.version or doc["_source"] != expected.document:
                result.stale.append(sid)
    if deleted:
        gone = (await client.mget(index=runtime.alias, ids=[str(i) for i in sorted(deleted)]))["docs"]
        result.resurrected.extend(int(d["_id"]) for d in gone if d.get("found"))
    await client.indices.refresh(index=runtime.alias)
    count = (await client.count(index=runtime.alias))["count"]
    if count != len(ids):  # something indexed that PostgreSQL does not know
        everything = await client.search(index=runtime.alias, size=10_000, source=False, query={"match_all": {}})
        known = set(ids)
        result.resurrected.extend(
            sorted({int(h["_id"]) for h in everything["hits"]["hits"]} - known - set(result.resurrected))
        )
    return result

"""Embedded defaults: a real PostgreSQL (pgserver) and an in-memory search engine (osmem-server).

Used when DATABASE_URL / ELASTICSEARCH_URL are unset. Data lives under CREDITGRAPH_HOME. The search
engine keeps nothing on disk, so the process that starts it (`serve`) rebuilds the index from
PostgreSQL; other commands on the same home find the running engine through `search.json`.
"""

from __future__ import annotations

import contextlib
import json
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx


def start_postgres(home: Path) -> str:
    """Start (or join) the embedded PostgreSQL in `home/pgdata` and return its URL."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on headless machines
        import pgserver

        home.mkdir(parents=True, exist_ok=True)
        server = pgserver.get_server(home / "pgdata", cleanup_mode="stop")  # type: ignore[attr-defined]
        return str(server.get_uri())


@dataclass
class EmbeddedSearch:
    url: str
    server: Any | None  # the OsmemServer this process owns, or None when joined

    def close(self, state_file: Path) -> None:
        if self.server is not None:
            stop_engine(self.server)
            state_file.unlink(missing_ok=True)


def stop_engine(server: Any) -> None:
    """Stop an osmem-server process and close the pipes `OsmemServer.close()` leaves open."""
    server.close()
    for pipe in (server.process.stdin, server.process.stdout):
        if pipe is not None:
            pipe.close()


@contextlib.contextmanager
def running_engine(addr: str | None = None) -> Iterator[Any]:
    """An osmem-server of this process's own (on `addr` when given), stopped at the end."""
    from osmem_server import OsmemServer

    server = OsmemServer.start(japanese=False, addr=addr)
    try:
        yield server
    finally:
        stop_engine(server)


def _state_file(home: Path) -> Path:
    return home / "search.json"


def _alive(url: str, pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def find_search(home: Path) -> str | None:
    """The URL of an embedded engine that a `serve` on this home is running, if any."""
    state = _state_file(home)
    if not state.exists():
        return None
    try:
        info = json.loads(state.read_text())
        url, pid = str(info["url"]), int(info["pid"])
    except (ValueError, KeyError):
        return None
    return url if _alive(url, pid) else None


def start_search(home: Path) -> EmbeddedSearch:
    """Start an in-memory engine owned by this process (it exits with the process)."""
    from osmem_server import OsmemServer

    server = OsmemServer.start(japanese=False)
    home.mkdir(parents=True, exist_ok=True)
    _state_file(home).write_text(json.dumps({"url": server.url, "pid": server.pid}))
    return EmbeddedSearch(server.url, server)


def search_state_file(home: Path) -> Path:
    return _state_file(home)

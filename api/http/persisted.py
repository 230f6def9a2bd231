"""Automatic persisted queries (Apollo's APQ protocol, over GET and POST).

A client sends `extensions: {"persistedQuery": {"version": 1, "sha256Hash": "<hex>"}}` with no
`query`. When the server knows the hash it runs the stored document; when it does not, it answers
`PersistedQueryNotFound` (`extensions.code: PERSISTED_QUERY_NOT_FOUND`, status 200 and
`Cache-Control: private, no-cache, must-revalidate`, as Apollo Server answers), and the client sends
the hash again with the `query`: the server checks that the document's SHA-256 is the hash (else 400
BAD_REQUEST "provided sha does not match query"), keeps it, and runs it. Over GET the URL then holds
only the hash and the variables, short enough for CDNs and browser caches (`api/http/caching.py`).

Documents are kept in the broker (Redis, shared by every API process; in process for the embedded
default, bounded there by the in-memory broker's size) for `persisted_query_ttl_seconds`, each at most
`persisted_query_max_bytes` (a larger one runs but is not kept). Keeping a document is charged
`persisted_query_register_cost` against the request's budget, so a client cannot fill the broker
with documents faster than its rate limit allows. A broker that fails loses nothing precious: the
client is told the hash is unknown and sends its document again.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from typing import Any

from credit.platform.broker import Broker
from credit.platform.config import Settings

log = logging.getLogger("creditgraph.persisted")

NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
NOT_FOUND_MESSAGE = "PersistedQueryNotFound"
NOT_FOUND_HEADERS = {"Cache-Control": "private, no-cache, must-revalidate"}
_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass
class PersistedQueryError(Exception):
    """A persisted-query request that cannot run: its status, its `extensions.code` and message."""

    status: int
    code: str
    message: str


@dataclass(frozen=True)
class Resolved:
    """The document to run, and the hash to keep it under (None when nothing is to be kept)."""

    query: str
    register: str | None = None


def _hash_of(extensions: dict[str, Any]) -> str:
    persisted = extensions.get("persistedQuery")
    digest = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
    if not isinstance(persisted, dict) or persisted.get("version") != 1 or not isinstance(digest, str):
        raise PersistedQueryError(
            400, "BAD_REQUEST", 'extensions.persistedQuery must be {"version": 1, "sha256Hash": "<SHA-256 in hex>"}'
        )
    digest = digest.lower()
    if not _HASH.fullmatch(digest):
        raise PersistedQueryError(400, "BAD_REQUEST", "persistedQuery.sha256Hash must be 64 hexadecimal digits")
    return digest


class PersistedQueries:
    def __init__(self, settings: Settings) -> None:
        self.ttl = settings.persisted_query_ttl_seconds
        self.max_bytes = settings.persisted_query_max_bytes
        self.register_cost = settings.persisted_query_register_cost

    @staticmethod
    def asks(extensions: dict[str, Any] | None) -> bool:
        return bool(extensions) and "persistedQuery" in (extensions or {})

    @staticmethod
    def _key(digest: str) -> str:
        return f"apq:{digest}"

    async def resolve(self, broker: Broker, extensions: dict[str, Any], query: str | None) -> Resolved:
        """The document of a persisted-query request; PersistedQueryError when there is none to run."""
        digest = _hash_of(extensions)
        if query is None:
            try:
                stored = await broker.get(self._key(digest))
            except Exception as exc:  # the broker holds nothing precious: the client resends its document
                log.warning("persisted queries unavailable: broker failed (%s)", type(exc).__name__)
                stored = None
            if stored is None:
                raise PersistedQueryError(200, NOT_FOUND, NOT_FOUND_MESSAGE)
            return Resolved(stored.decode())
        body = query.encode()
        if hashlib.sha256(body).hexdigest() != digest:
            raise PersistedQueryError(400, "BAD_REQUEST", "provided sha does not match query")
        return Resolved(query, digest if len(body) <= self.max_bytes else None)

    async def keep(self, broker: Broker, digest: str, query: str) -> None:
        try:
            await broker.set(self._key(digest), query.encode(), self.ttl)
        except Exception as exc:
            log.warning("persisted query not kept: broker failed (%s)", type(exc).__name__)

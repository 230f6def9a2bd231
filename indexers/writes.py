"""Writing subject documents with external versions, and sorting the engine's answers.

Every write carries an *external* version made of the subject's revision and the day the document
was built for (`indexers.documents.external_version`), so the engine keeps the newest it has seen
and refuses an older one with 409: a duplicate or late write is harmless.

Deletions (a subject row that no longer exists) are external-version deletes at `TOMBSTONE_VERSION`,
above any revision a subject can reach. The engine keeps the tombstone for `index.gc_deletes`
(default 60 s); while it lives, a late write of any revision is refused. A late write can only come
from a request already in flight: the worker sends each request once (`max_retries=0`) with a
`request_timeout` of 30 s and rebuilds the documents from a fresh snapshot before any retry, so no
write is older than 30 s and the default `gc_deletes` is enough. Raise `index.gc_deletes` if the
request timeout is raised. Subject ids are never reused (a sequence), so an expired tombstone cannot
hide a new subject. A full reindex, which builds a new index without tombstones, deletes at the end
every subject that disappeared while it loaded (indexers/reindex.py).

Outcomes, per document:
- written: 2xx, or 404 `not_found` for a delete (the tombstone is recorded anyway);
- stale: 409 — the index already holds this revision or a newer one;
- transient: 429, 5xx, or 404 `index_not_found` (the alias is missing, e.g. an engine that lost
  its data): the engine's trouble, retried without counting against the row;
- failed: any other error (e.g. a document the mapping refuses): counted against the outbox rows,
  which become dead letters after `max_attempts`.
A request that fails as a whole for the engine's reasons raises `EngineUnavailable`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import ApiError, AsyncElasticsearch, TransportError

from indexers import metrics
from indexers.documents import TOMBSTONE_VERSION, SubjectDocument


class EngineUnavailable(Exception):
    """The search engine cannot take writes now (unreachable, overloaded, or answering 5xx)."""


@dataclass
class WriteResult:
    written: set[int] = field(default_factory=set)
    stale: set[int] = field(default_factory=set)
    transient: dict[int, str] = field(default_factory=dict)
    failed: dict[int, str] = field(default_factory=dict)

    @property
    def done(self) -> set[int]:
        """Subjects whose index entry is now at least as new as the snapshot they were built from."""
        return self.written | self.stale


def is_transient_status(status: int) -> bool:
    return status == 429 or status >= 500


def _error_text(item: Mapping[str, Any], status: int) -> str:
    error = item.get("error")
    if isinstance(error, dict):
        return f"{status} {error.get('type', '')}: {error.get('reason', '')}"[:500]
    return f"{status} {error or ''}".strip()[:500]


def _classify(result: WriteResult, op: str, item: Mapping[str, Any]) -> None:
    sid = int(item["_id"])
    status = int(item.get("status", 200))
    error = item.get("error")
    error_type = error.get("type") if isinstance(error, dict) else None
    if status < 300 or (op == "delete" and status == 404 and error is None):
        result.written.add(sid)
    elif status == 409:
        result.stale.add(sid)
    elif is_transient_status(status) or error_type == "index_not_found_exception":
        result.transient[sid] = _error_text(item, status)
    else:
        result.failed[sid] = _error_text(item, status)


async def write_documents(
    client: AsyncElasticsearch,
    index: str,
    documents: Mapping[int, SubjectDocument],
    deletions: Collection[int] = (),
    *,
    require_alias: bool = False,
) -> WriteResult:
    """Bulk-write documents (and tombstones for `deletions`) with external versions.

    `require_alias` makes the engine refuse the write when `index` is not an alias, instead of
    creating a concrete index of that name with guessed mappings (an engine that lost its data).
    """
    operations: list[dict[str, Any]] = []
    for sid, doc in documents.items():
        operations.append(
            {"index": {"_index": index, "_id": str(sid), "version": doc.version, "version_type": "external"}}
        )
        operations.append(doc.document)
    for sid in deletions:
        operations.append(
            {"delete": {"_index": index, "_id": str(sid), "version": TOMBSTONE_VERSION, "version_type": "external"}}
        )
    result = WriteResult()
    if not operations:
        return result
    try:
        if require_alias:
            response = await client.bulk(operations=operations, require_alias=True)
        else:
            response = await client.bulk(operations=operations)
    except ApiError as exc:
        if is_transient_status(exc.meta.status):
            raise EngineUnavailable(f"{exc.meta.status} {exc.message}"[:500]) from exc
        reason = f"{exc.meta.status} {exc.message}"[:500]  # the engine refused the request as a whole
        result.failed = {sid: reason for sid in [*documents, *deletions]}
        return result
    except (TransportError, OSError) as exc:
        raise EngineUnavailable(f"{type(exc).__name__}: {exc}"[:500]) from exc
    for entry in response["items"]:
        ((op, item),) = entry.items()
        _classify(result, op, item)
    metrics.APPLIED.inc(len(result.written))
    metrics.STALE.inc(len(result.stale))
    return result

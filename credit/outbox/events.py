"""Change events: what the indexer publishes on the broker after it has indexed a change.

`{"subjectId": …, "recordIds": […]}` on `CHANGES` (Redis pub/sub in production, so every API process
hears every event whichever worker indexed it). The live disclosure hub reads them.
"""

from __future__ import annotations

import logging
from typing import Final

import orjson

log = logging.getLogger("creditgraph.events")

CHANGES: Final = "creditgraph:changes"


def encode_change(subject_id: int, record_ids: list[int]) -> bytes:
    return orjson.dumps({"subjectId": subject_id, "recordIds": record_ids})


def record_ids_of(message: bytes) -> list[int]:
    """The record ids of one change event; [] for a malformed event (logged) or a subject-only one."""
    try:
        event = orjson.loads(message)
    except orjson.JSONDecodeError:
        event = None
    ids = event.get("recordIds") if isinstance(event, dict) else None
    if not isinstance(ids, list):
        if not isinstance(event, dict):
            log.warning("ignoring a malformed change event")
        return []
    return [i for i in ids if isinstance(i, int) and not isinstance(i, bool)]

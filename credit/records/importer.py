"""`creditgraph import`: stream NDJSON lines through the ingestion service in batches.

Lines are validated one by one; consecutive valid lines of one type form a batch that is written in
one transaction. Memory stays bounded by the batch size whatever the file size. A batch that fails
in the database is retried line by line so one bad line cannot take good ones down with it.

The import never stops on a line: whatever a line holds, it is accepted or reported with its number
(a failure nobody foresaw is logged by type only, since its text may hold the line's data, and
reported as the line's error), and every batch already written stays written. A UTF-8 byte order
mark at the start of the file (as some editors write) is not part of the first line.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy.exc import DBAPIError

from credit.enums import RecordCategory
from credit.outbox.work import unit_of_work
from credit.platform.runtime import Runtime
from credit.records.ingest import Change, Outcome, upsert_records, upsert_subjects
from credit.records.inputs import InputError, RecordInput, SubjectInput, parse_line
from credit.subjects.identifiers import code_warnings

log = logging.getLogger("creditgraph.import")

BATCH = 1000
MAX_LINE = 1 << 20
BOM = b"\xef\xbb\xbf"
UNEXPECTED = "could not be imported (an unexpected error, logged); the rest of the file was imported"


@dataclass
class ImportSummary:
    lines: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    # Accepted lines with something to look at (a resident ID number whose address code was abolished
    # before its holder was born): line number and message, never the value itself.
    warnings: list[tuple[int, str]] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return self.created + self.updated + self.unchanged

    @property
    def changed(self) -> int:
        return self.created + self.updated


class Importer:
    def __init__(
        self,
        runtime: Runtime,
        *,
        actor: str = "import",
        authorities: frozenset[str] | None = None,
        today: dt.date | None = None,
        on_progress: Callable[[ImportSummary], None] | None = None,
    ) -> None:
        self._runtime = runtime
        self._actor = actor
        # `creditgraph import --authority A`: the file's records must belong to A (a provider's file).
        self._authorities = authorities
        self._today = today
        self._on_progress = on_progress
        self.summary = ImportSummary()
        self._batch: list[tuple[int, SubjectInput | RecordInput]] = []
        self._keys: set[object] = set()

    async def run(self, lines: Iterable[bytes]) -> ImportSummary:
        for number, raw in enumerate(lines, start=1):
            self.summary.lines = number
            if number == 1 and raw.startswith(BOM):
                raw = raw[len(BOM) :]
            if not raw.strip():
                continue
            if len(raw) > MAX_LINE:
                self.summary.rejected.append((number, f"line longer than {MAX_LINE} bytes"))
                continue
            try:
                item = parse_line(raw, today=self._today)
            except InputError as exc:
                self.summary.rejected.append((number, str(exc)))
                continue
            except Exception as exc:  # never stop the file on one line
                log.error("line %d could not be read: %s", number, type(exc).__name__)
                self.summary.rejected.append((number, UNEXPECTED))
                continue
            if isinstance(item, SubjectInput):
                self.summary.warnings += [(number, warning) for warning in code_warnings(item.kind, item.code)]
            key = ("s", item.code) if isinstance(item, SubjectInput) else ("r", item.authority, item.source_id)
            if self._batch and (type(self._batch[0][1]) is not type(item) or key in self._keys):
                await self._flush()
            self._batch.append((number, item))
            self._keys.add(key)
            if len(self._batch) >= BATCH:
                await self._flush()
        await self._flush()
        self.summary.rejected.sort()
        refused = {number for number, _ in self.summary.rejected}
        self.summary.warnings = [(n, text) for n, text in self.summary.warnings if n not in refused]
        return self.summary

    async def _write(self, items: list[SubjectInput | RecordInput]) -> Outcome:
        vault = self._runtime.vault
        async with unit_of_work(self._runtime) as work:
            if isinstance(items[0], SubjectInput):
                return await upsert_subjects(work, [i for i in items if isinstance(i, SubjectInput)], vault)
            return await upsert_records(
                work,
                [i for i in items if isinstance(i, RecordInput)],
                vault,
                actor=self._actor,
                actor_authorities=self._authorities or frozenset(),
                scope=self._scope,
                today=self._today,
            )

    def _scope(self, authority: str, category: RecordCategory) -> bool:
        return self._authorities is None or authority in self._authorities

    async def _flush(self) -> None:
        batch, self._batch, self._keys = self._batch, [], set()
        if not batch:
            return
        try:
            outcomes = [(batch, await self._write([item for _, item in batch]))]
        except OSError:  # the database is unreachable: no line is to blame
            raise
        except Exception:  # a database refusal or a failure nobody foresaw: find the line, keep the rest
            outcomes = []
            for entry in batch:
                try:
                    outcomes.append(([entry], await self._write([entry[1]])))
                except DBAPIError as exc:
                    reason = f"rejected by the database ({type(exc.orig).__name__})"
                    self.summary.rejected.append((entry[0], reason))
                except OSError:
                    raise
                except Exception as exc:
                    log.error("line %d could not be stored: %s", entry[0], type(exc).__name__)
                    self.summary.rejected.append((entry[0], UNEXPECTED))
        for entries, outcome in outcomes:
            for (number, _), result in zip(entries, outcome.results, strict=True):
                if result is Change.CREATED:
                    self.summary.created += 1
                elif result is Change.UPDATED:
                    self.summary.updated += 1
                elif result is Change.UNCHANGED:
                    self.summary.unchanged += 1
                else:
                    self.summary.rejected.append((number, result.message))
        if self._on_progress:
            self._on_progress(self.summary)

"""The unit of work of a command: one transaction, its outbox rows, and what runs after the commit.

    async with unit_of_work(runtime) as work:
        ...                                    # statements on work.session
        await touch_subjects(work, [sid], "objection")

Every outbox write records the revisions it gave the subjects (`UnitOfWork.changed`). Once the
transaction has committed, those revisions are stamped in the profile cache, so a profile cached
from a read before the commit is a miss from now on (`credit.subjects.profiles.stamp_revisions`),
then the hooks registered with `after_commit` run. The cache holds nothing precious: a failing
broker is logged and the command still succeeds. Nothing runs after a rollback.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from credit.platform.runtime import Runtime
from credit.subjects.profiles import stamp_revisions

log = logging.getLogger("creditgraph.work")


class UnitOfWork:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.revisions: dict[int, int] = {}
        self._hooks: list[Callable[[], Awaitable[None]]] = []

    def changed(self, revisions: Mapping[int, int]) -> None:
        """Subjects this unit gave a new revision (the highest is kept)."""
        for subject_id, revision in revisions.items():
            self.revisions[subject_id] = max(revision, self.revisions.get(subject_id, 0))

    def after_commit(self, hook: Callable[[], Awaitable[None]]) -> None:
        self._hooks.append(hook)


@asynccontextmanager
async def unit_of_work(runtime: Runtime) -> AsyncIterator[UnitOfWork]:
    async with runtime.sessions.begin() as session:
        work = UnitOfWork(session)
        yield work
    if work.revisions:
        try:
            await stamp_revisions(runtime.broker, work.revisions)
        except Exception as exc:  # the indexer stamps them too; the change itself is committed
            log.warning("profile cache invalidation failed: %s", type(exc).__name__)
    for hook in work._hooks:
        await hook()

"""The published catalogue (四张清单) and the credit office's list of red listings to withdraw.

- `catalogue()`: the measures catalogue, public (seed 003 L23: each body publishes its four lists on
  its website); the GraphQL `measures` query and the `/catalogue/*` exports read it.
- `red_list_withdrawals`: red listings (诚信典型) of subjects on a black list or the 失信被执行人 list,
  which their designating bodies should withdraw (001 L468 「及时撤销严重失信企业…荣誉称号」). The
  rule and its triggers are data (`withdrawals` in the catalogue); `credit.rules.flags` decides.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from credit.access.policy import Capability, require
from credit.access.viewer import Viewer
from credit.measures import repository
from credit.models import CreditRecord
from credit.platform.runtime import Runtime
from credit.rules.catalogue import Catalogue, default_catalogue
from credit.rules.derived import derive_subject
from credit.subjects.repository import read_profiles


def catalogue() -> Catalogue:
    """The catalogue in force: the packaged tables (loaded once per process)."""
    return default_catalogue()


@dataclass(frozen=True, slots=True)
class RedListWithdrawal:
    """A red listing to withdraw (`record`), the rule that says so, and the records in force because
    of which (`because`: black listings, court listings)."""

    record: CreditRecord
    rule: str
    because: tuple[CreditRecord, ...]


async def red_list_withdrawals(
    runtime: Runtime, viewer: Viewer, today: dt.date, first: int, after: int | None
) -> list[RedListWithdrawal]:
    """At most `first` withdrawals, by red-listing record id after `after` (the credit office)."""
    require(viewer, Capability.CREDIT_OFFICE, "redListWithdrawals")
    rules = catalogue().withdrawals_on(today)
    found: dict[tuple[int, str], RedListWithdrawal] = {}
    async with runtime.sessions() as session:
        for rule in rules:
            position = after or 0
            while len(found) < first:
                batch = await repository.withdrawal_candidates(
                    session,
                    rule.withdraw.category,
                    {pattern.category for pattern in rule.while_in_force},
                    today,
                    position,
                    first,
                )
                if not batch:
                    break
                position = batch[-1][0]
                profiles = await read_profiles(session, sorted({subject_id for _, subject_id in batch}))
                wanted = {record_id for record_id, _ in batch}
                for profile in profiles.values():
                    rows = {row.id: row for row in profile.records}
                    state = derive_subject(profile.facts(), today, profile.subject_facts())
                    for notice in state.flags.withdrawals:
                        if notice.rule == rule.code and notice.record_id in wanted:
                            because = tuple(rows[i] for i in notice.because)
                            found[(notice.record_id, rule.code)] = RedListWithdrawal(
                                rows[notice.record_id], rule.code, because
                            )
    ordered = sorted(found.values(), key=lambda w: (w.record.id, w.rule))
    return ordered[:first]

"""Measures earned by a subject's record over time: "连续三年无不良信用记录" (seed 001 L467,
池州市社会信用体系建设规划纲要: 「对诚信典型和连续三年无不良信用记录的行政相对人,可根据实际情况实施
“绿色通道”和“容缺受理”等便利服务措施」).

What counts as an adverse record (不良信用记录) is data: the `adverse` patterns of a history rule
(`credit/rules/data/measures.json`: administrative penalties of any severity, black listings,
失信被执行人 listings, D-grade credit evaluations). An adverse record counts

- from its decision date to the last day of its disclosure period (an open-ended one, such as a
  court listing without a term, counts until it ends): a penalty decided four years ago and
  disclosed for three still broke the run a year ago;
- not at all when REVOKED (it should never have existed, seed 003 L28 撤銷) or REPAIRED (once
  repaired, information stops being shared and used: 《信用修复管理办法》第三条 "停止共享和使用").

A record under objection still counts: it stays disclosed until the objection is answered. The run
starts on the later of the subject's registration date (without one, its first record's decision
date: the platform knows nothing earlier) and the day after the last adverse record stopped
counting; the measures apply from the day the run reaches `years` years (`earned_on`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from credit.enums import RecordStatus
from credit.rules.catalogue import HistoryRule
from credit.rules.disclosure import DisclosureTable, add_months, disclosure_period
from credit.rules.facts import RecordFacts, SubjectFacts

_ONE_DAY = dt.timedelta(days=1)
_NOT_COUNTED = frozenset({RecordStatus.REVOKED, RecordStatus.REPAIRED})


@dataclass(frozen=True, slots=True)
class CleanRun:
    """The subject's current run without adverse records under one history rule.

    `since`: its first day (None: an adverse record counts today, or nothing is known of the subject);
    `earned_on`: the day the run reaches the rule's length, from which its measures apply.
    """

    since: dt.date | None
    earned_on: dt.date | None

    def earned(self, today: dt.date) -> bool:
        return self.earned_on is not None and self.earned_on <= today


NO_RUN = CleanRun(since=None, earned_on=None)


def clean_run(
    rule: HistoryRule,
    records: Sequence[RecordFacts],
    subject: SubjectFacts,
    today: dt.date,
    table: DisclosureTable | None = None,
) -> CleanRun:
    """The subject's run without adverse records, as of `today` (records decided later are ignored)."""
    known = [record for record in records if record.decided_on <= today]
    start = subject.registered_on
    if start is None:
        start = min((record.decided_on for record in known), default=None)
    if start is None or start > today:
        return NO_RUN
    last_end: dt.date | None = None
    for record in known:
        if record.status in _NOT_COUNTED or not rule.is_adverse(record):
            continue
        until = disclosure_period(record, table).until
        if until is None or until >= today:
            return NO_RUN  # it still counts today
        last_end = until if last_end is None else max(last_end, until)
    since = start if last_end is None else max(start, last_end + _ONE_DAY)
    return CleanRun(since=since, earned_on=add_months(since, rule.years * 12))

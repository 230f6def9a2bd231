"""The credit office's list of red listings to withdraw, against the real PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from credit import clock
from credit.access.viewer import Viewer
from credit.enums import Role
from credit.errors import NotAllowed
from credit.measures import service
from credit.platform.runtime import Runtime
from tests.support.factories import add_record, add_subject, viewer

pytestmark = pytest.mark.integration

TODAY = clock.today()
DECIDED = TODAY - dt.timedelta(days=30)


async def test_red_listings_of_seriously_dishonest_subjects(tx: Runtime) -> None:
    office = await viewer(tx, Role.REGULATOR)
    _, both = await add_subject(tx, 1)
    _, red_only = await add_subject(tx, 2)
    _, disputed = await add_subject(tx, 3)
    _, court = await add_subject(tx, 4)
    red_1 = await add_record(tx, both, "RED_LIST", DECIDED, "R-1")
    black_1 = await add_record(tx, both, "BLACK_LIST", DECIDED, "B-1")
    await add_record(tx, red_only, "RED_LIST", DECIDED, "R-2")
    await add_record(tx, red_only, "ADMINISTRATIVE_PENALTY", DECIDED, "P-2", severity="SERIOUS")
    await add_record(tx, disputed, "RED_LIST", DECIDED, "R-3")
    await add_record(tx, disputed, "BLACK_LIST", DECIDED, "B-3", validUntil=(TODAY - dt.timedelta(days=1)).isoformat())
    red_4 = await add_record(tx, court, "RED_LIST", DECIDED, "R-4")
    court_4 = await add_record(tx, court, "DISHONEST_JUDGMENT_DEBTOR", DECIDED, "D-4")

    found = await service.red_list_withdrawals(tx, office, TODAY, 100, None)
    assert [(w.record.id, w.rule, [b.id for b in w.because]) for w in found] == [
        (red_1, "W_RED_LIST_WHILE_SERIOUSLY_DISHONEST", [black_1]),
        (red_4, "W_RED_LIST_WHILE_SERIOUSLY_DISHONEST", [court_4]),
    ]
    first = await service.red_list_withdrawals(tx, office, TODAY, 1, None)
    assert [w.record.id for w in first] == [red_1]
    rest = await service.red_list_withdrawals(tx, office, TODAY, 1, red_1)
    assert [w.record.id for w in rest] == [red_4]
    assert await service.red_list_withdrawals(tx, office, TODAY, 1, red_4) == []


async def test_only_the_credit_office(tx: Runtime) -> None:
    for role in (Role.PUBLIC, Role.JOURNALIST, Role.DATA_PROVIDER, Role.FINANCIAL_INSTITUTION):
        with pytest.raises(NotAllowed):
            await service.red_list_withdrawals(tx, Viewer(role=role), TODAY, 10, None)

"""The four lists (四张清单) generated from the catalogue: every entry, every field the seed asks for."""

from __future__ import annotations

import pytest

from credit.rules.catalogue import default_catalogue
from credit.rules.lists import (
    DISHONESTY_SCOPE_LIST,
    INCENTIVE_LIST,
    MEASURE_COLUMNS,
    PUNISHMENT_LIST,
    SCOPE_COLUMNS,
    TRUST_SCOPE_LIST,
    catalogue_document,
    measure_rows,
    scope_rows,
)

pytestmark = pytest.mark.unit


def test_every_measure_version_is_a_row_with_every_column() -> None:
    catalogue = default_catalogue()
    rows = measure_rows(catalogue)
    assert sorted((r["code"], r["version"]) for r in rows) == sorted((m.code, m.version) for m in catalogue.measures)
    for row in rows:
        assert set(row) == {key for key, _ in MEASURE_COLUMNS}
        for key in ("name", "trigger", "content", "basis", "implementingBody", "evidence", "appliesTo"):
            assert row[key], (row["code"], key)
    lists = [row["list"] for row in rows]
    assert lists == sorted(lists, key=lambda name: name != INCENTIVE_LIST)  # incentives first
    assert set(lists) == {INCENTIVE_LIST, PUNISHMENT_LIST}


def test_seed_fields_are_the_chinese_headers() -> None:
    headers = {header for _, header in MEASURE_COLUMNS} | {header for _, header in SCOPE_COLUMNS}
    for field in ("行政单位（认定单位）", "实施事由", "法律依据", "联合奖惩实施单位", "措施内容", "证据材料"):
        assert field in headers


def test_applies_to_and_holds_in_words() -> None:
    rows = {row["code"]: row for row in measure_rows(default_catalogue())}
    assert rows["P_FLIGHTS"]["heldDuringObjection"] == "否"
    assert rows["P_BIDDING"]["heldDuringObjection"] == "是"
    assert "机关：其法定代表人、主要负责人等责任人员" in rows["P_FLIGHTS"]["appliesTo"]
    assert "机关" not in rows["P_GOV_PROCUREMENT"]["appliesTo"]
    assert rows["P_FLIGHTS"]["bodyKind"] == "人民法院"


def test_scope_rows_cover_rules_and_history() -> None:
    catalogue = default_catalogue()
    rows = scope_rows(catalogue)
    assert {row["code"] for row in rows} == {r.code for r in catalogue.rules} | {h.code for h in catalogue.history}
    by_code = {row["code"]: row for row in rows}
    assert by_code["T_NO_ADVERSE_RECORD_3Y"]["list"] == TRUST_SCOPE_LIST
    assert "连续3年无不良信用记录" in by_code["T_NO_ADVERSE_RECORD_3Y"]["condition"]
    assert by_code["S_DISHONEST_JUDGMENT_DEBTOR"]["list"] == DISHONESTY_SCOPE_LIST
    assert "P_EXIT" not in by_code["S_DISHONEST_JUDGMENT_DEBTOR"]["measures"]
    assert "P_FLIGHTS 限制乘坐飞机" in by_code["S_DISHONEST_JUDGMENT_DEBTOR"]["measures"]


def test_the_document_holds_the_four_lists_and_the_interplay() -> None:
    document = catalogue_document(default_catalogue())
    assert list(document["lists"]) == [TRUST_SCOPE_LIST, DISHONESTY_SCOPE_LIST, INCENTIVE_LIST, PUNISHMENT_LIST]
    assert all(document["lists"].values())
    assert document["suspensions"][0]["suspend"] == "INCENTIVE"
    assert document["withdrawals"][0]["withdraw"] == "RED_LIST"

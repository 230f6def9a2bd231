"""Bounds on what a line or an `upsertRecords` item may hold (issue 18, findings 8, 10, 11): dates,
stated validity, content, text without anything visible or with bidi overrides, duplicate keys.
Pure validation, shared by both paths (`credit.records.inputs`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
import pytest

from credit.records.inputs import (
    MAX_CONTENT_BYTES,
    MAX_CONTENT_DEPTH,
    MAX_CONTENT_INTEGER,
    InputError,
    RecordInput,
    parse_line,
    parse_record,
)
from credit.records.service import validate_batch

pytestmark = pytest.mark.unit

TODAY = dt.date(2025, 6, 1)
RECORD: dict[str, Any] = {
    "type": "record",
    "sourceId": "X-1",
    "authority": "常州市市场监督管理局",
    "subjectCode": "91110000600037341L",
    "category": "ADMINISTRATIVE_PENALTY",
    "title": "行政处罚决定书",
    "decidedOn": "2025-01-10",
}


def line(**changes: Any) -> bytes:
    return orjson.dumps(RECORD | changes)


def refusal(raw: bytes) -> str:
    with pytest.raises(InputError) as caught:
        parse_line(raw, today=TODAY)
    return str(caught.value)


def nested(levels: int) -> dict[str, Any]:
    content: dict[str, Any] = {"leaf": 1}
    for _ in range(levels - 1):
        content = {"a": content}
    return content


class TestDecisionDates:
    @pytest.mark.parametrize("field", ["decidedOn", "publishedOn"])
    def test_one_day_of_clock_skew_and_no_more(self, field: str) -> None:
        changes = {"decidedOn": "2025-06-02"} if field == "decidedOn" else {"publishedOn": "2025-06-02"}
        assert isinstance(parse_line(line(**changes), today=TODAY), RecordInput)
        changes = {field: "2025-06-03"}
        assert refusal(line(**changes)).startswith(f"{field}: in the future (later than 2025-06-02")

    @pytest.mark.parametrize("day", ["9999-12-31", "2030-01-01"])
    def test_far_future_decision_is_a_line_error(self, day: str) -> None:
        assert refusal(line(decidedOn=day)).startswith("decidedOn: in the future")

    def test_floor_is_the_founding_of_the_prc(self) -> None:
        assert parse_line(line(decidedOn="1949-10-01"), today=TODAY)
        assert refusal(line(decidedOn="1949-09-30")).startswith("decidedOn: before 1949-10-01")
        assert refusal(line(decidedOn="1900-01-01")).startswith("decidedOn: before 1949-10-01")

    def test_the_users_day_is_chinas(self) -> None:
        """Without an explicit day the bound is China's date: a decision of today in Beijing is
        accepted even when the server's UTC date is still yesterday."""
        from credit import clock

        assert parse_line(line(decidedOn=(clock.today() + dt.timedelta(days=1)).isoformat()))

    def test_subject_registration_is_bounded_too(self) -> None:
        subject = {"type": "subject", "kind": "LEGAL_PERSON", "code": "91110000600037341L", "name": "某某公司"}
        assert refusal(orjson.dumps(subject | {"registeredOn": "2099-01-01"})).startswith("registeredOn: in the future")


class TestStatedValidity:
    def test_a_black_list_of_2100_is_refused_naming_the_bound(self) -> None:
        message = refusal(line(category="BLACK_LIST", validFrom="2025-01-10", validUntil="2100-01-01"))
        assert message.startswith(
            "validUntil: a BLACK_LIST record's stated validity is at most 3 years after validFrom"
        )
        assert "第44号" in message and "no later than 2028-01-10" in message

    def test_a_black_list_of_three_years_is_accepted(self) -> None:
        assert parse_line(line(category="BLACK_LIST", validFrom="2025-01-10", validUntil="2028-01-10"), today=TODAY)

    def test_a_listing_cannot_start_after_its_longest_term(self) -> None:
        message = refusal(line(category="BLACK_LIST", validFrom="2090-01-01", validUntil="2091-01-01"))
        assert message.startswith("validFrom: a BLACK_LIST record's validity starts no later than 2028-01-10")

    @pytest.mark.parametrize(("category", "ok", "too_long"), [("RED_LIST", "2030-01-10", "2030-01-11")])
    def test_platform_terms(self, category: str, ok: str, too_long: str) -> None:
        assert parse_line(line(category=category, validUntil=ok), today=TODAY)
        assert "at most 5 years after decidedOn" in refusal(line(category=category, validUntil=too_long))

    def test_rows_without_a_term_are_still_bounded(self) -> None:
        """A penalty's validUntil only shortens disclosure, yet 9999-12-31 is still refused."""
        assert refusal(line(validUntil="9999-12-31")).startswith("validUntil: more than 100 years after decidedOn")
        assert refusal(line(validFrom="0001-01-01")).startswith("validFrom: before 1949-10-01")


class TestContent:
    def test_huge_integer_is_a_line_error(self) -> None:
        raw = b'{"type":"record","sourceId":"X-1","authority":"a","subjectCode":"91110000600037341L",' + (
            b'"category":"RED_LIST","title":"t","decidedOn":"2024-01-01","content":{"n":1' + b"0" * 30 + b"}}"
        )
        assert refusal(raw).startswith("content: an integer is outside")
        assert parse_line(line(content={"n": MAX_CONTENT_INTEGER}), today=TODAY)
        assert refusal(line(content={"n": -MAX_CONTENT_INTEGER - 1})).startswith("content: an integer")

    def test_depth(self) -> None:
        assert parse_line(line(content=nested(MAX_CONTENT_DEPTH)), today=TODAY)
        assert refusal(line(content=nested(MAX_CONTENT_DEPTH + 1))) == (
            f"content: nested deeper than {MAX_CONTENT_DEPTH} levels"
        )
        assert refusal(line(content={"a": [[[[[[[[[1]]]]]]]]]})).startswith("content: nested deeper")

    def test_size(self) -> None:
        assert parse_line(line(content={"s": "a" * (MAX_CONTENT_BYTES - 20)}), today=TODAY)
        assert refusal(line(content={"s": "a" * MAX_CONTENT_BYTES})).endswith(f"more than {MAX_CONTENT_BYTES}")

    def test_strings_in_content(self) -> None:
        assert refusal(line(content={"s": "a\u0000b"})) == "content: a string contains control characters"
        assert "bidirectional" in refusal(line(content={"k\u202e": 1}))
        assert parse_line(line(content={"s": "第一行\n第二行"}), today=TODAY)

    def test_graphql_items_get_the_same_rules_with_their_index(self) -> None:
        items = [
            RECORD | {"sourceId": "A"},
            RECORD | {"sourceId": "B", "decidedOn": dt.date(2030, 1, 1)},
            RECORD | {"sourceId": "C", "content": {"n": 10**30}},
            RECORD | {"sourceId": "D", "title": "\u200b\u200d"},
        ]
        valid, errors = validate_batch(items, TODAY)
        assert [index for index, _ in valid] == [0]
        assert [(e.index, e.message.split(":")[0]) for e in errors] == [(1, "decidedOn"), (2, "content"), (3, "title")]
        with pytest.raises(InputError, match=r"^content: a string is not valid Unicode"):
            parse_record(RECORD | {"content": {"s": "\ud800"}}, today=TODAY)


class TestText:
    @pytest.mark.parametrize("field", ["title", "authority", "sourceId"])
    @pytest.mark.parametrize("text", ["\u200b", "\u202e", "\u200b\u200c\u200d\u2060\ufeff", " \u3164 ", "\u200e\u200f"])
    def test_nothing_visible_is_refused(self, field: str, text: str) -> None:
        message = refusal(line(**{field: text}))
        assert message.startswith(f"{field}: "), message
        assert "visible" in message or "bidirectional" in message

    def test_subject_names_with_nothing_visible_are_refused(self) -> None:
        subject = {"type": "subject", "kind": "LEGAL_PERSON", "code": "91110000600037341L", "name": "\u2800\u200b"}
        assert refusal(orjson.dumps(subject)) == "name: must not be empty (it has no visible characters)"

    @pytest.mark.parametrize("control", ["\u202e", "\u202a", "\u2066", "\u2069"])
    def test_bidi_overrides_are_refused(self, control: str) -> None:
        message = refusal(line(title=f"关于某某公司{control}的处罚决定"))
        assert message.startswith("title: contains bidirectional embedding, override or isolate controls")

    def test_right_to_left_text_and_marks_are_kept(self) -> None:
        item = parse_line(line(title="ئۈرۈمچى شەھىرى\u200f 处罚决定"), today=TODAY)
        assert isinstance(item, RecordInput) and item.title.startswith("ئۈرۈمچى")


class TestJson:
    def test_duplicate_keys_are_refused(self) -> None:
        raw = line()[:-1] + b',"decidedOn":"2024-01-01"}'
        assert refusal(raw) == 'duplicate key: "decidedOn" appears twice in one object'

    def test_duplicate_keys_inside_content_do_not_echo_the_key(self) -> None:
        raw = line()[:-1] + b',"content":{"110105199003070017":1,"110105199003070017":2}}'
        message = refusal(raw)
        assert message == "duplicate key: a key appears twice in one object"
        assert "110105" not in message

    def test_not_utf8(self) -> None:
        assert refusal(line()[:-2] + b'\xff"}') == "not valid UTF-8"

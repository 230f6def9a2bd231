"""Chinese for readers: enum labels in the schema and as fields, regions by name, and region names in
the disclosure filter (api/graphql/enums.py, api/graphql/subjects.py, credit/disclosures/feed.py)."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLEnumType

from api.graphql.schema import schema
from credit.enums import LABELS, RecordCategory, label
from credit.platform.runtime import Runtime
from tests.conftest import ApiServer
from tests.support.feed_data import company, expected_ids, import_lines, mixed_records

pytestmark = pytest.mark.e2e


def data(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body["errors"]
    result: dict[str, Any] = body["data"]
    return result


def test_every_enum_value_of_the_schema_has_its_label_as_description() -> None:
    types = schema._schema.type_map
    enums = [t for name, t in types.items() if not name.startswith("__") and isinstance(t, GraphQLEnumType)]
    assert len(enums) >= 10
    for enum in enums:
        for name, value in enum.values.items():
            assert value.description, f"{enum.name}.{name}"
    category = types["RecordCategory"]
    assert isinstance(category, GraphQLEnumType)
    assert category.values["DISHONEST_JUDGMENT_DEBTOR"].description == "失信被执行人"
    assert all(label(value) != value.value for value in LABELS)


async def test_records_carry_labels_and_regions_are_found_by_name(clean_db: Runtime, api_server: ApiServer) -> None:
    subjects = [company(61, "320402"), company(62, "110105")]
    await import_lines(clean_db, subjects)
    await import_lines(clean_db, mixed_records([s["code"] for s in subjects], 20, prefix="L"))
    feed = data(
        await api_server.graphql(
            "{ disclosures(first: 20) { edges { node { category categoryLabel status statusLabel severity"
            " severityLabel subject { kind kindLabel region { name prefix level } } } } } }"
        )
    )
    nodes = [e["node"] for e in feed["disclosures"]["edges"]]
    assert all(n["categoryLabel"] == label(RecordCategory(n["category"])) for n in nodes)
    assert {n["statusLabel"] for n in nodes} == {"公示中"} and {n["subject"]["kindLabel"] for n in nodes} == {
        "企业法人"
    }
    assert {n["severityLabel"] for n in nodes if n["severity"] == "GENERAL"} == {"一般"}
    assert {n["subject"]["region"]["name"] for n in nodes} == {"江苏省常州市天宁区", "北京市朝阳区"}

    regions = data(await api_server.graphql('{ regions(query: "常州") { code name prefix level } }'))["regions"]
    assert regions[0] == {"code": "320400", "name": "江苏省常州市", "prefix": "3204", "level": "city"}
    traditional = data(await api_server.graphql('{ regions(query: "天寧") { code } }'))["regions"]
    assert traditional[0]["code"] == "320402"
    too_long = await api_server.graphql('{ regions(query: "' + "常" * 41 + '") { code } }')
    assert too_long["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    by_name = data(
        await api_server.graphql('{ disclosures(first: 100, filter: {regionCodePrefix: "天宁区"}) { totalCount } }')
    )
    assert by_name["disclosures"]["totalCount"] == len(await expected_ids(clean_db, "s.region_code LIKE '320402%'")) > 0
    ambiguous = await api_server.graphql('{ disclosures(filter: {regionCodePrefix: "鼓楼区"}) { totalCount } }')
    [error] = ambiguous["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "320106" in error["message"]

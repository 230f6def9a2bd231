"""The website's GraphQL operations (api/web/queries.graphql) against the schema as it is, their cost
under the default limits, and the pure helpers of the pages: highlights, parameters."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse, validate
from markupsafe import Markup
from starlette.datastructures import QueryParams

from api.graphql.schema import schema
from api.guard.complexity import Limits, analyze
from api.web.params import BadParameter, FeedParams, SearchParams, region_label
from api.web.queries import operations
from api.web.render import marks, plain

pytestmark = pytest.mark.unit

VARIABLES: dict[str, dict[str, Any]] = {
    "SearchSubjects": {"query": "常州", "first": 10},
    "RegionName": {"query": "常州"},
    "SubjectProfile": {"code": "91320402MA0000000X"},
    "Disclosures": {"first": 20},
    "DisclosurePublished": {},
}


def test_every_operation_is_valid_and_affordable() -> None:
    assert set(operations()) == set(VARIABLES)
    for name, text in operations().items():
        document = parse(text)
        assert validate(schema._schema, document) == [], name
        analysis = analyze(schema._schema, document, name, VARIABLES[name], Limits())
        assert analysis.cost <= Limits().max_cost // 2, (name, analysis.cost)  # room for the API's growth


def test_each_document_carries_only_the_fragments_it_spreads() -> None:
    for name, text in operations().items():
        definitions = parse(text).definitions
        assert [d.name.value for d in definitions if isinstance(d, OperationDefinitionNode) and d.name] == [name]
        fragments = {d.name.value for d in definitions if isinstance(d, FragmentDefinitionNode)}
        expected = {
            "SearchSubjects": {"SubjectLine"},
            "RegionName": set(),
            "SubjectProfile": {"SubjectLine", "FlagFields", "RecordFields"},
            "Disclosures": {"SubjectLine", "RecordFields"},
            "DisclosurePublished": {"SubjectLine", "RecordFields"},
        }[name]
        assert fragments == expected, name
        assert "\n" not in text and "  " not in text  # compact, for GET query strings


def test_highlights_become_marks_and_nothing_else() -> None:
    assert marks("常州<em>天宁</em>环保") == Markup("常州<mark>天宁</mark>环保")
    assert marks("<em>A&amp;B</em><script>") == Markup("<mark>A&amp;B</mark>&lt;script&gt;")
    assert marks('<img src=x onerror="1">') == Markup("&lt;img src=x onerror=&#34;1&#34;&gt;")
    assert plain("常州<em>天宁</em>&amp;") == "常州天宁&"


def test_search_parameters() -> None:
    params = SearchParams.parse(
        QueryParams("q=+tianning+&kinds=LEGAL_PERSON,LEGAL_PERSON&categories=RED_LIST&regionCodePrefix=天宁区")
    )
    assert params.query == "tianning" and params.kinds == ["LEGAL_PERSON"]
    assert params.variables()["filter"] == {
        "kinds": ["LEGAL_PERSON"],
        "categories": ["RED_LIST"],
        "regionCodePrefix": "320402",  # SubjectFilter takes digits: the page resolves the name
    }
    assert all(name != "q" for name, _ in params.pairs())  # the search text is never in a printed link
    assert SearchParams.parse(QueryParams("q=x&hasActivePunishment=true")).filter() == {"hasActivePunishment": True}
    for bad in ("kinds=ROBOT", "hasActivePunishment=yes", "regionCodePrefix=鼓楼区", "q=" + "x" * 101):
        with pytest.raises(BadParameter):
            SearchParams.parse(QueryParams(bad))


def test_feed_parameters_are_the_exports() -> None:
    params = FeedParams.parse(
        QueryParams("categories=ADMINISTRATIVE_LICENSE&categories=ADMINISTRATIVE_PENALTY&regionCodePrefix=常州"
                    "&authority=常州市生态环境局&publishedFrom=2024-01-01&before=abc")
    )  # fmt: skip
    assert params.variables() == {
        "filter": {
            "categories": ["ADMINISTRATIVE_LICENSE", "ADMINISTRATIVE_PENALTY"],
            "regionCodePrefix": "常州",  # DisclosureFilter takes names itself
            "authority": "常州市生态环境局",
            "publishedFrom": "2024-01-01",
        },
        "last": 20,
        "before": "abc",
    }
    assert dict(params.pairs())["categories"] == "ADMINISTRATIVE_LICENSE,ADMINISTRATIVE_PENALTY"
    assert FeedParams.parse(QueryParams("")).variables() == {"filter": None, "first": 20, "after": None}
    for bad in ("publishedTo=2024-13-01", "after=a&before=b", "categories=NOPE"):
        with pytest.raises(BadParameter):
            FeedParams.parse(QueryParams(bad))


def test_region_names() -> None:
    assert region_label("3204") == "江苏省常州市" and region_label("320402") == "江苏省常州市天宁区"
    assert region_label("99") == "99"

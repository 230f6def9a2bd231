"""schema.graphql is the exported SDL of the code; outside clients read it, so it must not drift."""

from __future__ import annotations

import pytest

from api.graphql.schema import schema
from tests.conftest import ROOT

pytestmark = pytest.mark.unit


def test_committed_sdl_matches_the_code() -> None:
    committed = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert committed.strip() == schema.as_str().strip(), (
        "schema.graphql is out of date: run "
        "`strawberry export-schema api.graphql.schema:schema --output schema.graphql`"
    )


def test_contract_names_are_present() -> None:
    sdl = schema.as_str()
    for name in (
        "searchSubjects(query: String!, filter: SubjectFilter = null, first: Int = 10, after: String = null)",
        "subject(code: String = null, id: ID = null): Subject",
        "type SubjectSearchEdge",
        "activeFlags: [CreditFlag!]!",
        "heldFlags: [CreditFlag!]!",
    ):
        assert name in sdl

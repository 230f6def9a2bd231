"""Query measurement before execution (api/guard/complexity.py), against the real schema."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLSyntaxError, Source, TokenKind, parse
from graphql.language import Lexer
from hypothesis import given
from hypothesis import strategies as st

from api.graphql.schema import schema
from api.guard.complexity import LIST_SIZE, Analysis, BadPageSize, Limits, TooComplex, analyze, count_tokens

pytestmark = pytest.mark.unit

LIMITS = Limits()


def measure(query: str, variables: dict[str, Any] | None = None, limits: Limits = LIMITS) -> Analysis:
    return analyze(schema._schema, parse(query), None, variables, limits)


class TestCost:
    def test_scalars_cost_nothing_and_a_query_at_least_one(self) -> None:
        assert measure("{ __typename }").cost == 1

    def test_connection_multiplies_by_first(self) -> None:
        small = measure(
            '{ searchSubjects(query: "a", first: 1) { edges { node { id creditProfile { activeFlags { code } } } } } }'
        )
        large = measure(
            '{ searchSubjects(query: "a", first: 10) { edges { node { id creditProfile { activeFlags { code } } } } } }'
        )
        # searchSubjects weighs 10; edges, node, creditProfile and activeFlags 1 each per result.
        assert small.cost == 10 + 4
        assert large.cost == 10 + 4 * 10

    def test_default_first_of_the_schema_is_used(self) -> None:
        default = measure('{ searchSubjects(query: "a") { edges { node { id } } } }')
        explicit = measure('{ searchSubjects(query: "a", first: 10) { edges { node { id } } } }')
        assert default.cost == explicit.cost

    def test_first_from_variables(self) -> None:
        query = 'query($n: Int) { searchSubjects(query: "a", first: $n) { edges { node { id } } } }'
        assert measure(query, {"n": 100}).cost > measure(query, {"n": 5}).cost

    def test_a_variable_not_sent_is_costed_at_its_default_in_the_operation(self) -> None:
        # Issue 18, finding 6: `$n: Int = 100` with no variables runs first=100, not the field's 10.
        query = 'query($n: Int = 100) { searchSubjects(query: "a", first: $n) { edges { node { id } } } }'
        hundred = measure('{ searchSubjects(query: "a", first: 100) { edges { node { id } } } }')
        assert measure(query).cost == hundred.cost
        assert measure(query, {}).cost == hundred.cost
        assert measure(query, {"n": 5}).cost < hundred.cost  # a sent value wins over the default
        with pytest.raises(BadPageSize):
            measure('query($n: Int = 5000) { searchSubjects(query: "a", first: $n) { totalCount } }')

    def test_lists_without_first_multiply_by_the_list_size(self) -> None:
        flat = measure('{ subject(code: "x") { creditProfile { activeFlags { code } } } }')
        nested = measure('{ subject(code: "x") { creditProfile { activeFlags { record { id } } } } }')
        assert nested.cost - flat.cost == LIST_SIZE

    def test_fragments_are_expanded(self) -> None:
        inline = measure('{ subject(code: "x") { creditProfile { activeFlags { record { id } } } } }')
        spread = measure(
            'query { subject(code: "x") { ...P } }'
            " fragment P on Subject { creditProfile { activeFlags { record { id } } } }"
        )
        assert spread.cost == inline.cost

    def test_past_the_maximum_cost(self) -> None:
        query = """{ subject(code: "x") { creditProfile { records(first: 100) { edges { node {
            objections { record { subject { creditProfile { activeFlags { record { id } } } } } } } } } } } }"""
        with pytest.raises(TooComplex, match="cost"):
            measure(query)


class TestLimits:
    def test_depth(self) -> None:
        query = (
            '{ subject(code: "x") { '
            + "creditProfile { activeFlags { record { subject { " * 3
            + "id"
            + " } } } }" * 3
            + " } }"
        )
        with pytest.raises(TooComplex, match="deeper"):
            measure(query)

    def test_aliases(self) -> None:
        query = "{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }"
        with pytest.raises(TooComplex, match="aliases"):
            measure(query)
        assert measure("{ " + " ".join(f"a{i}: __typename" for i in range(30)) + " }").aliases == 30

    def test_nodes(self) -> None:
        query = "{ " + " ".join("__typename" for _ in range(501)) + " }"
        with pytest.raises(TooComplex, match="fields"):
            measure(query)

    def test_fragment_bomb_is_refused_within_the_node_budget(self) -> None:
        fragments = ["fragment F0 on Query { __typename }"]
        fragments += [f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, 40)]
        query = "{ ...F39 } " + " ".join(fragments)
        with pytest.raises(TooComplex, match="fields"):
            measure(query)

    def test_cyclic_fragments_do_not_loop(self) -> None:
        query = "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A __typename }"
        assert measure(query).nodes == 1

    def test_operations_per_document(self) -> None:
        document = " ".join(f"query Q{i} {{ __typename }}" for i in range(6))
        with pytest.raises(TooComplex, match="operations"):
            analyze(schema._schema, parse(document), "Q1", None, LIMITS)

    def test_only_the_selected_operation_is_measured(self) -> None:
        document = 'query A { __typename } query B { searchSubjects(query: "a") { edges { node { id } } } }'
        assert analyze(schema._schema, parse(document), "A", None, LIMITS).cost == 1


class TestFirst:
    @pytest.mark.parametrize("first", [0, -1, 101, 100_000])
    def test_out_of_range(self, first: int) -> None:
        with pytest.raises(BadPageSize, match="between 1 and 100"):
            measure(f'{{ searchSubjects(query: "a", first: {first}) {{ totalCount }} }}')

    def test_out_of_range_in_a_variable_or_nested(self) -> None:
        with pytest.raises(BadPageSize):
            measure('query($n: Int) { searchSubjects(query: "a", first: $n) { totalCount } }', {"n": 100_000})
        with pytest.raises(BadPageSize):
            measure('{ subject(code: "x") { creditProfile { records(first: 1000) { totalCount } } } }')

    def test_unknown_fields_are_left_to_validation(self) -> None:
        assert measure("{ nothing { here } }").cost == 1


def lexer_count(document: str) -> int:
    lexer, count = Lexer(Source(document)), 0
    while lexer.advance().kind is not TokenKind.EOF:
        count += 1
    return count


PIECES = [
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ":",
    "...",
    "$x",
    "@d",
    "query",
    "on",
    "a",
    "-1.5e3",
    "0",
    '"s\\"t"',
    "!",
    "=",
    "|",
]
PIECES += ['"""block "" \\""" text"""', "# comment\n", ",", "\t", "\ufeff", "\n", "&"]


class TestCountTokens:
    @pytest.mark.parametrize(
        "document",
        [
            "{ __typename }",
            'query Q($a: Int = -1.5e3, $b: [String!]!) @dir(x: """a "" \\""" b""") { a: f(x: "s\\"t", y: [1, 2.0]) }',
            "fragment F on T { x ...G ... on U { y } } # trailing comment",
            "{ a, b,,, c }",
        ],
    )
    def test_as_the_parser_counts(self, document: str) -> None:
        assert count_tokens(document, 10**6) == lexer_count(document)

    def test_stops_counting(self) -> None:
        assert count_tokens("{ " + "a " * 10_000 + "}", 3001) == 3001

    @given(st.lists(st.sampled_from(PIECES), max_size=60).map(" ".join))
    def test_never_more_than_the_lexer_finds(self, document: str) -> None:
        try:
            expected = lexer_count(document)
        except GraphQLSyntaxError:
            return  # not a document: the parser refuses it whatever the count
        assert count_tokens(document, 10**6) == expected


class TestIntrospection:
    def test_the_standard_introspection_query_passes_deeper_than_the_depth_limit(self) -> None:
        from graphql import get_introspection_query

        analysis = measure(get_introspection_query(descriptions=True))
        assert analysis.depth == 15 > LIMITS.max_depth
        assert analysis.cost <= LIMITS.max_cost

    def test_introspection_keeps_the_cost_limit(self) -> None:
        query = "{ __schema { types { fields { type { fields { type { fields { type { name } } } } } } } } }"
        with pytest.raises(TooComplex, match="cost"):
            measure(query, limits=Limits(max_cost=500))

    def test_introspection_has_a_depth_of_its_own(self) -> None:
        body = "name"
        for _ in range(40):
            body = f"ofType {{ {body} }}"
        with pytest.raises(TooComplex, match="deeper than 30"):
            measure(f'{{ __type(name: "Subject") {{ {body} }} }}')

    def test_the_exemption_stops_at_introspection(self) -> None:
        body = "id"
        for _ in range(4):
            body = f"creditProfile {{ activeFlags {{ record {{ subject {{ {body} }} }} }} }}"
        with pytest.raises(TooComplex, match="deeper than 12"):
            measure(f'{{ __typename subject(code: "x") {{ {body} }} }}')


class TestLast:
    def test_last_sets_the_page_instead_of_first(self) -> None:
        backwards = measure("{ disclosures(last: 50) { edges { node { subject { id } } } } }")
        forwards = measure("{ disclosures(first: 50) { edges { node { subject { id } } } } }")
        assert backwards.cost == forwards.cost > measure("{ disclosures { edges { node { subject { id } } } } }").cost

    def test_last_is_bounded_like_first(self) -> None:
        with pytest.raises(BadPageSize, match="last must be between 1 and 100"):
            measure("{ disclosures(last: 1000) { totalCount } }")

"""The linear pre-checks of documents and variables (api/guard/precheck.py), on their own."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from graphql import DocumentNode, parse

from api.guard.complexity import count_tokens
from api.guard.precheck import (
    MAX_VARIABLE_DEPTH,
    DocumentReader,
    DocumentRefused,
    literal_problem,
    variables_problem,
)

pytestmark = pytest.mark.unit


def reader(**overrides: Any) -> DocumentReader:
    options: dict[str, Any] = {"max_length": 1000, "max_tokens": 20, "max_seconds": 1.0, "parse": parse}
    return DocumentReader(**(options | overrides))


class TestCountTokens:
    @pytest.mark.parametrize(
        ("document", "tokens"),
        [
            ('"\\' * 1000, 2),  # an unterminated string to the end of the line, and a lone backslash
            ('"""' + 'x"' * 1000, 1),  # an unterminated block string runs to the end of the document
            ("{ a }" + "\n# c" * 1000, 3),  # trailing comments are no tokens
            ('{ a(x: "s\\"t") }', 8),
        ],
    )
    def test_hostile_shapes_are_counted_in_one_pass(self, document: str, tokens: int) -> None:
        assert count_tokens(document, 10**6) == tokens

    def test_a_passed_deadline_stops_the_count(self) -> None:
        with pytest.raises(TimeoutError):
            count_tokens("{ " + "a " * 10_000 + "}", 10**6, deadline=0.0)


class TestDocumentReader:
    def test_too_long_is_refused_before_counting(self) -> None:
        with pytest.raises(DocumentRefused, match="longer than 1000 characters"):
            reader().read_now("{ " + "a" * 2000 + " }")

    def test_too_many_tokens(self) -> None:
        with pytest.raises(DocumentRefused, match="more than 20 tokens"):
            reader().read_now("{ " + "a " * 30 + "}")

    def test_out_of_time(self) -> None:
        with pytest.raises(DocumentRefused, match="within"):
            reader(max_tokens=10**6, max_length=10**6, max_seconds=-1.0).read_now("{ " + "a " * 1000 + "}")

    async def test_a_long_document_is_read_in_a_thread(self) -> None:
        threads: list[str] = []

        def parse_where(document: str) -> DocumentNode:
            threads.append(threading.current_thread().name)
            return parse(document)

        long_reader = reader(max_length=10**6, parse=parse_where)
        assert (await long_reader.read("{ a(x: " + '"' + "x" * 20_000 + '"' + ") }")).definitions
        assert (await long_reader.read("{ a }")).definitions
        assert threads[0] != threading.main_thread().name and threads[1] == threading.main_thread().name


class TestLiteralProblem:
    @pytest.mark.parametrize(
        ("document", "where"),
        [
            ("{ f(first: " + "9" * 5000 + ") }", "first"),
            ("{ f(x: 1.5e" + "9" * 40 + ") }", "x"),
            ('{ f(filter: {authority: "a\\u0000"}) }', "filter.authority"),
            ("query($n: Int = " + "9" * 40 + ") { f(first: $n) }", "$n"),
            ('{ f(xs: [1, "\\u0000"]) }', "xs"),
            ('fragment F on Q { g(x: "\\u0000") } { ...F }', "x"),
        ],
    )
    def test_names_the_argument(self, document: str, where: str) -> None:
        problem = literal_problem(parse(document))
        assert problem is not None and problem.where == where and problem.kind == "argument"

    def test_ordinary_literals_pass(self) -> None:
        assert literal_problem(parse('{ f(first: 100, x: -1.5e3, s: "常州\\n", l: [1, {a: "b"}]) }')) is None


class TestVariablesProblem:
    @pytest.mark.parametrize(
        ("variables", "words"),
        [
            ({"v": "a\x00"}, "NUL"),
            ({"v": ["ok", {"k": "\ud800"}]}, "surrogate"),
            ({"v": {"\x00": 1}}, "NUL"),
            ({"v": 10**40}, "digits"),
        ],
    )
    def test_names_the_variable(self, variables: dict[str, Any], words: str) -> None:
        problem = variables_problem(variables)
        assert problem is not None and problem.where == "$v" and words in problem.message

    def test_nesting_is_bounded_without_recursion(self) -> None:
        deep: Any = "x"
        for _ in range(10_000):
            deep = [deep]
        problem = variables_problem({"v": deep})
        assert problem is not None and f"deeper than {MAX_VARIABLE_DEPTH}" in problem.message
        shallow: Any = "x"
        for _ in range(MAX_VARIABLE_DEPTH):
            shallow = {"k": shallow}
        assert variables_problem({"v": shallow, "w": None, "n": 3.5, "b": True}) is None

"""A fuzzer over the schema (issue 18, finding 8): hypothesis builds requests from the schema's own root
fields, arguments and input types, with values of the right type at their edges, of the wrong type, in
literals or in variables (declared with the right type or a wrong one), and bodies that are no
request at all, and sends them to the real app over HTTP. No answer may be a 5xx, every error must
carry `extensions.code`, and the server must log no error.

`FUZZ_EXAMPLES` sets the number of requests (default 300, about 20 s). At the end the test prints the
requests sent, the answers by status and the errors by code, and writes them as JSON to `FUZZ_REPORT`
when that is set.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
    get_named_type,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.graphql.schema import schema as strawberry_schema
from credit.access.repository import insert_key
from credit.enums import Role
from credit.platform.config import Settings
from credit.platform.runtime import Runtime
from tests.support.threaded import ThreadedServer, threaded_server

pytestmark = pytest.mark.e2e

SCHEMA = strawberry_schema._schema
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))
KEYED_ROLES = (Role.JOURNALIST, Role.FINANCIAL_INSTITUTION, Role.REGULATOR, Role.ADMIN)

INTS = [0, 1, -1, 20, 100, 101, 2**31 - 1, 2**31, -(2**31) - 1, 2**53, 10**18, 10**30]
TEXTS = ["", " ", "\x00", "a\x00b", "\ud800", "常州", "天宁区", "鼓楼区", "3204", "91320402MA1MXXXX0X"]
TEXTS += ["320402199001011234", "9" * 30, "²", "U3ViamVjdDox", "Q3JlZGl0UmVjb3JkOjE=", "\u202e\u200b", "x" * 600]
TEXTS += ["eyJ2IjoxLCJzIjpbMS4wLDFdLCJ0IjowfQ", "WyJyZWMiLCIyMDI0LTAxLTAxIiwxXQ", "'; DROP TABLE records; --"]
DATES = ["2024-02-30", "2024-02-29", "9999-12-31", "0001-01-01", "1900-01-01", "2030-01-01", "24-1-1", "x", ""]
DATES += ["2024-01-01T00:00:00Z", "2024-13-01"]


@dataclass
class Tally:
    """What the fuzzer sent and what came back."""

    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    shapes: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "statuses": dict(sorted(self.statuses.items())),
            "codes": dict(self.codes.most_common()),
            "shapes": dict(self.shapes.most_common()),
        }


class Raw:
    """A literal printed as it is (a number of 5,000 digits, which no JSON encoder writes)."""

    def __init__(self, text: str) -> None:
        self.text = text


def junk() -> st.SearchStrategy[Any]:
    """Any JSON value, of any type."""
    leaves = st.none() | st.booleans() | st.sampled_from(INTS) | st.floats(allow_nan=False) | st.sampled_from(TEXTS)
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
        max_leaves=6,
    )


def scalar_values(name: str, strict: bool) -> st.SearchStrategy[Any]:
    if name == "Int":
        return st.sampled_from(INTS) | st.integers(-200, 200)
    if name == "Float":
        return st.floats(allow_nan=False, allow_infinity=False)
    if name == "Boolean":
        return st.booleans()
    if name == "Date" and strict:
        edges = ["2024-02-29", "9999-12-31", "0001-01-01", "1900-01-01", "2030-01-01"]
        return st.sampled_from(edges) | st.dates().map(lambda d: d.isoformat())
    if name in ("Date", "DateTime"):
        return st.sampled_from(DATES) | st.dates().map(lambda d: d.isoformat())
    if name == "JSON":
        return junk()
    return st.sampled_from(TEXTS) | st.text(max_size=20)  # String, ID


def values(kind: GraphQLInputType, strict: bool, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values for an input type, at its edges; unless `strict`, sometimes null, an unknown enum value or any
    junk (strict values pass GraphQL's validation, so they reach the resolvers and the services)."""
    if isinstance(kind, GraphQLNonNull):
        inner = values(kind.of_type, strict, depth)
        return inner.filter(lambda v: v is not None) if strict else inner
    if isinstance(kind, GraphQLList):
        inner = values(kind.of_type, strict, depth + 1)
        return st.lists(inner, max_size=3) | inner
    if isinstance(kind, GraphQLEnumType):
        typed: st.SearchStrategy[Any] = st.sampled_from([*kind.values, *(() if strict else ("NOPE", "natural"))])
    elif isinstance(kind, GraphQLInputObjectType):
        if depth > 2:
            return st.just({})
        required = {n: values(f.type, strict, depth + 1) for n, f in kind.fields.items() if is_required(f.type)}
        optional = {n: values(f.type, strict, depth + 1) for n, f in kind.fields.items() if n not in required}
        typed = st.fixed_dictionaries(required if strict else {}, optional=optional if strict else required | optional)
    else:
        assert isinstance(kind, GraphQLScalarType)
        typed = scalar_values(kind.name, strict)
    return typed if strict else st.one_of(typed, typed, typed, st.none(), junk())


def is_required(kind: Any) -> bool:
    return isinstance(kind, GraphQLNonNull)


def literal(value: Any, kind: GraphQLInputType) -> str:
    """`value` as a GraphQL literal; strings of an enum type as bare names."""
    named = get_named_type(kind)
    if isinstance(value, Raw):
        return value.text
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and isinstance(named, GraphQLEnumType) and value.isidentifier():
        return value
    if isinstance(value, int | float | str):
        return json.dumps(value)  # JSON's escapes are GraphQL's; lone surrogates come out escaped
    item = kind.of_type if isinstance(kind, GraphQLNonNull) else kind
    if isinstance(value, list):
        inner = item.of_type if isinstance(item, GraphQLList) else item
        return "[" + ", ".join(literal(v, inner) for v in value) + "]"
    fields = item.fields if isinstance(item, GraphQLInputObjectType) else {}
    parts = [
        f"{k}: {literal(v, fields[k].type if k in fields else kind)}" for k, v in value.items() if k.isidentifier()
    ]
    return "{" + ", ".join(parts) + "}"


def selection(kind: Any) -> str:
    """Some leaves of the returned type (and of one object below it): `{ __typename … }`."""
    named = get_named_type(kind)
    if isinstance(named, GraphQLScalarType | GraphQLEnumType):
        return ""
    if isinstance(named, GraphQLUnionType):
        return "{ __typename }"
    assert isinstance(named, GraphQLObjectType | GraphQLInterfaceType)
    leaves = ["__typename"]
    for name, f in named.fields.items():
        required = any(isinstance(a.type, GraphQLNonNull) and a.default_value is None for a in f.args.values())
        if required:
            continue
        if isinstance(get_named_type(f.type), GraphQLScalarType | GraphQLEnumType):
            leaves.append(name)
        elif len(leaves) < 8:
            leaves.append(f"{name} {{ __typename }}")
        if len(leaves) >= 8:
            break
    return "{ " + " ".join(leaves) + " }"


@st.composite
def operations(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """A JSON request for one root field, each argument omitted, a literal or a variable."""
    mutation = draw(st.booleans()) and draw(st.booleans())
    root = SCHEMA.mutation_type if mutation else SCHEMA.query_type
    assert root is not None
    name = draw(st.sampled_from(sorted(root.fields)))
    target: GraphQLField = root.fields[name]
    arguments: list[str] = []
    declarations: list[str] = []
    variables: dict[str, Any] = {}
    strict = draw(st.booleans())  # every argument of its type: the request reaches the resolver
    for arg_name, argument in target.args.items():
        arg: GraphQLArgument = argument
        ways = ["literal", "variable"] if strict else ["literal", "literal", "variable", "variable", "wrong type"]
        how = draw(st.sampled_from(ways if strict and is_required(arg.type) else ["omit", *ways]))
        if how == "omit":
            continue
        value = draw(values(arg.type, strict))
        if how == "literal":
            if not strict and draw(st.integers(0, 30)) == 0:
                value = Raw(draw(st.sampled_from(["9" * 5000, "-" + "9" * 400, "1e99999", "0x10", "01"])))
            arguments.append(f"{arg_name}: {literal(value, arg.type)}")
            continue
        declared = (
            str(arg.type) if how == "variable" else draw(st.sampled_from(["Int", "String!", "[ID]", "Date", "JSON"]))
        )
        declarations.append(f"${arg_name}: {declared}")
        arguments.append(f"{arg_name}: ${arg_name}")
        if strict or draw(st.integers(0, 5)):
            variables[arg_name] = value
    args = f"({', '.join(arguments)})" if arguments else ""
    header = ("mutation" if mutation else "query") + (f"({', '.join(declarations)})" if declarations else "")
    document = f"{header} {{ {name}{args} {selection(target.type)} }}"
    sent: Any = variables if strict or variables else draw(st.none() | junk())
    return {"query": document, "variables": sent}, f"{'mutation' if mutation else 'query'}.{name}"


def bodies() -> st.SearchStrategy[tuple[bytes, str, str]]:
    """Bodies that are no request: raw bytes, JSON of any shape, odd content types. (body, type, shape)"""
    raw = st.binary(max_size=200).map(lambda b: (b, "application/json", "body.bytes"))
    shaped = junk().map(lambda v: (json.dumps(v).encode(), "application/json", "body.json"))
    fields = st.fixed_dictionaries(
        {}, optional={"query": junk(), "variables": junk(), "operationName": junk(), "extensions": junk()}
    )
    loose = fields.map(lambda v: (json.dumps(v).encode(), "application/json", "body.fields"))
    odd = st.tuples(
        st.binary(max_size=50), st.sampled_from(["text/plain", "application/graphql", "multipart/form-data", ""])
    )
    return raw | shaped | loose | odd.map(lambda t: (t[0], t[1], "body.content-type"))


class Errors(logging.Handler):
    """Counts what the server logs at ERROR or with a traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info:
            self.records.append(f"{record.name}: {record.getMessage()[:300]}")


@pytest.fixture(scope="module")
def fuzzed(
    settings: Settings, request: pytest.FixtureRequest
) -> Iterator[tuple[ThreadedServer, dict[Role, str], Tally, Errors]]:
    tally, errors = Tally(), Errors()
    logging.getLogger().addHandler(errors)
    with threaded_server(settings, rate_limit_key_prefix=f"fuzz:{uuid.uuid4().hex}:") as server:

        async def keys() -> dict[Role, str]:
            runtime: Runtime | None = server.runtime
            assert runtime is not None
            async with runtime.sessions.begin() as session:
                return {
                    role: (await insert_key(session, role, f"fuzz-{role.value.lower()}"))[1] for role in KEYED_ROLES
                }

        yield server, server.call(keys()), tally, errors
    logging.getLogger().removeHandler(errors)
    summary = json.dumps(tally.as_dict(), ensure_ascii=False)
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
        print(f"\nfuzz over the schema: {summary}")
    if report := os.environ.get("FUZZ_REPORT"):
        Path(report).write_text(summary + "\n")


def check(response: httpx.Response, tally: Tally, shape: str, sent: object) -> None:
    tally.requests += 1
    tally.shapes[shape] += 1
    tally.statuses[response.status_code] += 1
    assert response.status_code < 500, (sent, response.text[:500])
    if not response.headers.get("content-type", "").startswith("application/"):
        return  # GraphiQL's page for a browser's GET without a query
    answer = response.json()
    for error in answer.get("errors") or ():
        code = (error.get("extensions") or {}).get("code")
        assert code, (sent, answer)
        tally.codes[code] += 1
        assert "Unexpected error" not in error["message"] and "int_max_str_digits" not in error["message"], (
            sent,
            answer,
        )
    if not answer.get("errors"):
        tally.codes["(answered without errors)"] += 1


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(data=st.data())
def test_no_request_over_the_schema_fails_the_server(
    fuzzed: tuple[ThreadedServer, dict[Role, str], Tally, Errors], data: st.DataObject
) -> None:
    server, keys, tally, errors = fuzzed
    logged = len(errors.records)
    role = data.draw(st.sampled_from([None, None, *KEYED_ROLES]))
    headers = {"Authorization": f"Bearer {keys[role]}"} if role is not None else {}
    kind = data.draw(st.sampled_from(["post", "post", "post", "post", "get", "body"]))
    if kind == "body":
        content, content_type, shape = data.draw(bodies())
        response = server.http.post(server.url, content=content, headers={**headers, "content-type": content_type})
        check(response, tally, shape, content[:300])
    else:
        request, shape = data.draw(operations())
        if shape.startswith("mutation"):
            headers = {}  # anonymous: no fuzzed write reaches the database
        if kind == "get":
            params = {"query": request["query"], "variables": json.dumps(request["variables"])}
            response = server.http.get(server.url, params=params, headers=headers)
        else:
            content = json.dumps(request).encode()
            response = server.http.post(
                server.url, content=content, headers={**headers, "content-type": "application/json"}
            )
        check(response, tally, f"{kind} {shape}", request)
    assert errors.records[logged:] == []

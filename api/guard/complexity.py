"""What a GraphQL document would cost, measured on the parsed document before anything runs.

One walk over the selected operation, with fragments expanded, measures its depth, its aliases,
its field count (nodes) and its cost, and checks every `first` and `last` argument. The walk is budgeted: it
stops as soon as a limit is passed, so a fragment bomb (fragments spreading each other twice over)
costs at most `max_nodes` steps to refuse.

Cost: every field that returns an object or a list costs its weight (1 unless `FIELD_WEIGHTS` says
otherwise) times the number of times it would be resolved; leaves (scalars, enums) cost nothing
(the node and alias limits bound them). A field with a `first` argument multiplies what is below
it by `first` (the value given, or the argument's default; `last` when given); Relay's `edges` and `nodes` lists are
that page and multiply nothing more; any other list multiplies what is below it by `LIST_SIZE`.

Introspection (`__schema`, `__type`) is exempt from `max_depth`, not from the other limits: the
standard introspection query of graphql-js and graphql-core (`getIntrospectionQuery`), which GraphiQL,
graphql-codegen and `gql` send, nests 15 levels (`ofType` nine times in `TypeRef`). Below those fields
`max_introspection_depth` (30) still bounds the nesting, since the executor recurses once per level.
Introspection reads the schema in memory: there a field that is not a list (`type`, `ofType`) weighs
nothing, while its lists (`types`, `fields`, `args`) cost and multiply as every list does, so the
standard query costs 162 and a query that walks `fields { type { fields … } }` to amplify
itself passes the cost limit after a few levels.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    VariableNode,
    get_named_type,
)

#: Weight of fields that cost more than one database round trip (a search, an audited write, a batch).
FIELD_WEIGHTS: Final[Mapping[str, int]] = {
    "Query.searchSubjects": 10,
    "Query.creditCheck": 10,
    "Query.disclosures": 5,
    "Query.auditLog": 5,
    "Query.myCheckRecords": 5,
    "CreditProfile.records": 2,
    "Mutation.upsertRecords": 20,
}
#: Assumed length of a list field that has no `first` argument (flags, objections, former names).
LIST_SIZE: Final = 10
_PAGE_LISTS: Final = frozenset({"edges", "nodes"})
_INTROSPECTION: Final = frozenset({"__schema", "__type"})
_META_FIELDS: Final[Mapping[str, GraphQLField]] = {"__schema": SchemaMetaFieldDef, "__type": TypeMetaFieldDef}


# GraphQL's lexical tokens (block strings, strings, the spread, punctuators, names, numbers) and, last,
# any other character (a syntax error the parser reports), each after what the lexer ignores
# (white space, commas, the BOM, comments). Linear: quantifiers are possessive, so nothing is ever
# scanned twice, and an unterminated string is one token running to the end of its line (block
# string: of the document), which the parser then refuses; before (lazy and backtracking), repeated
# `"\` took quadratic time: 8 s for 960 KB (issue 18, finding 4).
_IGNORED = r"(?:[\s,\ufeff]++|#[^\n\r]*+)*+"
_TOKEN = re.compile(
    _IGNORED + r'(?:"""(?:\\"""|[^"\\]++|"(?!"")|\\)*+(?:"""|\Z)|"(?:\\.|[^"\\\n\r]++)*+"?|\.\.\.|[!$&()\[\]{}:=@|]'
    r"|[_A-Za-z][_0-9A-Za-z]*+|-?\d++(?:\.\d++)?+(?:[eE][+-]?+\d++)?+|[^\s,\ufeff])"
)
#: Tokens between two looks at the clock.
_CLOCK_EVERY = 256


def count_tokens(document: str, stop_at: int, deadline: float | None = None) -> int:
    """The number of tokens in `document` as graphql-core's parser counts them for `max_tokens`,
    counting no further than `stop_at`. One pass of a regular expression, each match a token with
    the ignored characters before it, so the loop turns at most `stop_at` times and the count takes
    about a millisecond where the parser's lexer takes tens. With `deadline` (`time.monotonic()`),
    TimeoutError once it has passed (api/guard/precheck.py: the time cap)."""
    count = 0
    position = 0
    match = _TOKEN.match
    while count < stop_at and (found := match(document, position)) is not None:
        count += 1
        position = found.end()
        if deadline is not None and count % _CLOCK_EVERY == 0 and time.monotonic() > deadline:
            raise TimeoutError("the document took too long to read")
    return count


@dataclass(frozen=True)
class Limits:
    max_depth: int = 12
    max_aliases: int = 30
    max_nodes: int = 500
    max_cost: int = 3000
    max_operations: int = 5
    max_first: int = 100
    max_introspection_depth: int = 30


@dataclass(frozen=True)
class Analysis:
    cost: int
    depth: int
    aliases: int
    nodes: int


class TooComplex(Exception):
    """The document passes a limit (QUERY_TOO_COMPLEX)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadPageSize(Exception):
    """A `first` argument outside 1 … max_first (BAD_USER_INPUT)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _is_list(field: GraphQLField) -> bool:
    kind = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
    return isinstance(kind, GraphQLList)


class _Walk:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        limits: Limits,
        defaults: Mapping[str, Any] | None = None,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.defaults = defaults or {}
        self.limits = limits
        self.depth = 0
        self.aliases = 0
        self.nodes = 0

    def _argument(self, node: FieldNode, name: str) -> Any:
        argument = next((a for a in node.arguments or () if a.name.value == name), None)
        if argument is None:
            return None
        if isinstance(argument.value, IntValueNode):
            return int(argument.value.value)
        if isinstance(argument.value, VariableNode):
            name = argument.value.name.value
            # A variable not sent takes its default in the operation (`query($n: Int = 100)`): what runs.
            return self.variables[name] if name in self.variables else self.defaults.get(name)
        return None  # null, or a wrong type that validation refuses

    def page_size(self, node: FieldNode, field: GraphQLField | None) -> int | None:
        """The page a connection field asks for: its `last` argument when given (paging backwards),
        else its `first` (given or default); None when it has neither."""
        name, value = "last", self._argument(node, "last")
        if value is None:
            name, value = "first", self._argument(node, "first")
        if value is None and field is not None and "first" in field.args:
            default = field.args["first"].default_value
            value = default if isinstance(default, int) else self.limits.max_first
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            return self.limits.max_first  # a wrong type is refused by validation; cost it at the maximum
        if not 1 <= value <= self.limits.max_first:
            raise BadPageSize(f"{name} must be between 1 and {self.limits.max_first}")
        return value

    def selections(
        self,
        selection_set: SelectionSetNode,
        parent: GraphQLNamedType | None,
        depth: int,
        multiplier: int,
        spread_path: tuple[str, ...],
        introspection: bool = False,
    ) -> int:
        cost = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                cost += self.field(selection, parent, depth + 1, multiplier, spread_path, introspection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition is not None else parent
                cost += self.selections(selection.selection_set, target, depth, multiplier, spread_path, introspection)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in spread_path:
                    continue  # unknown or cyclic: validation refuses the document
                target = self.schema.get_type(fragment.type_condition.name.value)
                path = (*spread_path, name)
                cost += self.selections(fragment.selection_set, target, depth, multiplier, path, introspection)
        return cost

    def field(
        self,
        node: FieldNode,
        parent: GraphQLNamedType | None,
        depth: int,
        multiplier: int,
        spread_path: tuple[str, ...],
        introspection: bool = False,
    ) -> int:
        limits = self.limits
        self.nodes += 1
        if self.nodes > limits.max_nodes:
            raise TooComplex(f"the query selects more than {limits.max_nodes} fields")
        if node.alias is not None:
            self.aliases += 1
            if self.aliases > limits.max_aliases:
                raise TooComplex(f"the query uses more than {limits.max_aliases} aliases")
        name = node.name.value
        introspection = introspection or name in _INTROSPECTION
        if depth > (limits.max_introspection_depth if introspection else limits.max_depth):
            limit = limits.max_introspection_depth if introspection else limits.max_depth
            raise TooComplex(f"the query is nested deeper than {limit} levels")
        self.depth = max(self.depth, depth)
        field = None
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            field = parent.fields.get(name)
            if field is None and parent is self.schema.query_type:
                field = _META_FIELDS.get(name)  # __schema, __type: priced like any other field
        size = self.page_size(node, field)
        if node.selection_set is None:
            return 0
        weight = FIELD_WEIGHTS.get(f"{parent.name}.{name}", 1) if parent is not None else 1
        if introspection and (field is None or not _is_list(field)):
            weight = 0  # a pointer in the schema held in memory (`type`, `ofType`); its lists still count
        cost = weight * multiplier
        if size is not None:
            multiplier *= size
        elif field is not None and _is_list(field) and name not in _PAGE_LISTS:
            multiplier *= LIST_SIZE
        target = get_named_type(field.type) if field is not None else None
        cost += self.selections(node.selection_set, target, depth, multiplier, spread_path, introspection)
        if cost > limits.max_cost:
            raise TooComplex(f"the query would cost more than {limits.max_cost} (see the API documentation)")
        return cost


def _root(schema: GraphQLSchema, operation: OperationDefinitionNode) -> GraphQLObjectType | None:
    if operation.operation is OperationType.MUTATION:
        return schema.mutation_type
    if operation.operation is OperationType.SUBSCRIPTION:
        return schema.subscription_type
    return schema.query_type


def _variable_defaults(operation: OperationDefinitionNode) -> dict[str, Any]:
    """The integer defaults of the operation's variables (`$n: Int = 100`), which execution uses for
    variables the request does not send; other defaults do not size anything."""
    return {
        definition.variable.name.value: int(definition.default_value.value)
        for definition in operation.variable_definitions or ()
        if isinstance(definition.default_value, IntValueNode)
    }


def analyze(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    limits: Limits,
) -> Analysis:
    """Measure the operation that would run; TooComplex or BadPageSize when it must not run."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) > limits.max_operations:
        raise TooComplex(f"the document holds more than {limits.max_operations} operations")
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    if operation_name is None:
        chosen = operations[0] if len(operations) == 1 else None
    else:
        chosen = next((o for o in operations if o.name is not None and o.name.value == operation_name), None)
    if chosen is None:
        return Analysis(0, 0, 0, 0)  # no operation to run: execution reports it
    walk = _Walk(schema, fragments, variables or {}, limits, _variable_defaults(chosen))
    cost = walk.selections(chosen.selection_set, _root(schema, chosen), 0, 1, ())
    cost = max(cost, 1)
    if cost > limits.max_cost:
        raise TooComplex(f"the query would cost more than {limits.max_cost} (see the API documentation)")
    return Analysis(cost=cost, depth=walk.depth, aliases=walk.aliases, nodes=walk.nodes)

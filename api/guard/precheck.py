"""Linear-time checks of a request's GraphQL document and variables, before anything that is not.

The document (issue 18, finding 4: a quadratic tokenizer froze the event loop for 8 s on 960 KB):
1. its length, in O(1): over `max_query_length` characters it is refused at once (QUERY_TOO_COMPLEX);
2. its tokens, counted by one linear pass of a regular expression (`count_tokens`) with a time cap
   (`max_query_check_seconds`): past `max_query_tokens`, or past the time, QUERY_TOO_COMPLEX;
3. only then graphql-core's lexer and parser (tens of milliseconds per 3,000 tokens, more for long
   strings). A document over `THREAD_FROM` characters is counted and parsed in a worker thread, so
   the event loop keeps serving other requests meanwhile.

Then the parsed document's literals and the request's variables, in one linear walk each, before the
cost analysis and graphql-core's coercion see them (issue 18, finding 8): a number longer than
`MAX_NUMBER_LENGTH` characters (Python refuses to convert 4,300 digits and says so in words of its
own), a NUL character (PostgreSQL refuses it) or a lone surrogate (not Unicode text: it cannot be
encoded), and variables nested deeper than `MAX_VARIABLE_DEPTH`, are BAD_USER_INPUT naming the
argument or the variable. Walks are iterative: no input can make them recurse.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from graphql import (
    ArgumentNode,
    DocumentNode,
    FloatValueNode,
    IntValueNode,
    Node,
    ObjectFieldNode,
    StringValueNode,
    VariableDefinitionNode,
)

from api.guard.complexity import count_tokens

#: Documents longer than this (characters) are counted and parsed in a worker thread.
THREAD_FROM: Final = 10_000
#: The longest number literal or variable accepted: 2**63 has 19 digits, a double's longest form 24.
MAX_NUMBER_LENGTH: Final = 32
#: Lists and objects inside one variable, at most (a record's `content` included).
MAX_VARIABLE_DEPTH: Final = 64
_NUMBER_BOUND: Final = 10**MAX_NUMBER_LENGTH
_BAD_CHARACTER = re.compile(r"[\x00\ud800-\udfff]")


class DocumentRefused(Exception):
    """The document is too long, has too many tokens or took too long to read (QUERY_TOO_COMPLEX)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class InputProblem:
    """A bad literal or variable: the message names it; `where` is the argument's or variable's name."""

    message: str
    kind: str  # "argument" or "variable"
    where: str


@dataclass(frozen=True, slots=True)
class DocumentReader:
    """Length, tokens and parse of a document, in this order, each bounded (see the module)."""

    max_length: int
    max_tokens: int
    max_seconds: float
    parse: Callable[[str], DocumentNode]

    def read_now(self, document: str) -> DocumentNode:
        """The parsed document; DocumentRefused, or the parser's GraphQLError or RecursionError."""
        if len(document) > self.max_length:
            raise DocumentRefused(f"the document is longer than {self.max_length} characters")
        try:
            tokens = count_tokens(document, self.max_tokens + 1, time.monotonic() + self.max_seconds)
        except TimeoutError:
            raise DocumentRefused(f"the document could not be read within {self.max_seconds:g} s") from None
        if tokens > self.max_tokens:
            raise DocumentRefused(f"the document has more than {self.max_tokens} tokens")
        return self.parse(document)

    async def read(self, document: str) -> DocumentNode:
        """`read_now`, in a worker thread for a long document (the event loop is not blocked)."""
        if len(document) <= THREAD_FROM or len(document) > self.max_length:
            return self.read_now(document)
        return await asyncio.to_thread(self.read_now, document)


def _bad_text(text: str) -> str | None:
    found = _BAD_CHARACTER.search(text)
    if found is None:
        return None
    return "contains a NUL character" if found.group() == "\x00" else "contains a lone surrogate (not Unicode text)"


def _children(node: Node) -> list[Node]:
    children: list[Node] = []
    for key in node.keys:
        value = getattr(node, key, None)
        if isinstance(value, Node):
            children.append(value)
        elif isinstance(value, tuple | list):
            children.extend(item for item in value if isinstance(item, Node))
    return children


def literal_problem(document: DocumentNode) -> InputProblem | None:
    """The first literal of the document that no argument may take (see the module), or None."""
    stack: list[tuple[Node, str]] = [(definition, "") for definition in document.definitions]
    while stack:
        node, name = stack.pop()
        if isinstance(node, ArgumentNode):
            stack.append((node.value, node.name.value))
        elif isinstance(node, ObjectFieldNode):
            stack.append((node.value, f"{name}.{node.name.value}" if name else node.name.value))
        elif isinstance(node, VariableDefinitionNode):
            if node.default_value is not None:
                stack.append((node.default_value, f"${node.variable.name.value}"))
            stack.extend((directive, "") for directive in node.directives or ())
        elif isinstance(node, IntValueNode | FloatValueNode):
            if len(node.value) > MAX_NUMBER_LENGTH:
                where = name or "a number"
                return InputProblem(f"{where}: a number longer than {MAX_NUMBER_LENGTH} characters", "argument", where)
        elif isinstance(node, StringValueNode):
            if (problem := _bad_text(node.value)) is not None:
                return InputProblem(f"{name or 'a string'} {problem}", "argument", name)
        else:
            stack.extend((child, name) for child in _children(node))
    return None


def variables_problem(variables: Mapping[str, Any] | None) -> InputProblem | None:
    """The first variable that is nested too deeply or holds a string no argument may take, or None."""
    for name, value in (variables or {}).items():
        where = f"${name}"
        stack: list[tuple[Any, int]] = [(value, 0)]
        while stack:
            item, depth = stack.pop()
            if isinstance(item, str):
                if (problem := _bad_text(item)) is not None:
                    return InputProblem(f"variable {where} {problem}", "variable", where)
            elif isinstance(item, int) and abs(item) >= _NUMBER_BOUND:  # JSON decoders other than orjson's
                message = f"variable {where} holds a number longer than {MAX_NUMBER_LENGTH} digits"
                return InputProblem(message, "variable", where)
            elif isinstance(item, dict | list):
                if depth >= MAX_VARIABLE_DEPTH:
                    message = f"variable {where} is nested deeper than {MAX_VARIABLE_DEPTH} levels"
                    return InputProblem(message, "variable", where)
                if isinstance(item, dict):
                    stack.extend((key, depth + 1) for key in item)
                    stack.extend((member, depth + 1) for member in item.values())
                else:
                    stack.extend((member, depth + 1) for member in item)
    return None

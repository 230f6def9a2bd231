"""The website's GraphQL operations (`queries.graphql`), each as a document of its own.

Each operation is sent with only the fragments it spreads (directly or through other fragments), so a
page's script sends a short document, and the server runs exactly what the script sends.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Final

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    Node,
    OperationDefinitionNode,
    parse,
    print_ast,
    visit,
)
from graphql.language import Visitor
from graphql.utilities import strip_ignored_characters

QUERIES_FILE: Final = Path(__file__).resolve().parent / "queries.graphql"


class _Spreads(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: object) -> None:
        self.names.add(node.name.value)


def _spread_names(node: Node) -> set[str]:
    visitor = _Spreads()
    visit(node, visitor)
    return visitor.names


def _closure(start: set[str], fragments: dict[str, FragmentDefinitionNode]) -> list[str]:
    """Every fragment reached from `start`, in the file's order."""
    seen: set[str] = set()
    pending = list(start)
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        pending.extend(_spread_names(fragments[name]))
    return [name for name in fragments if name in seen]


@functools.cache
def operations() -> dict[str, str]:
    """Operation name → its document (the operation, then the fragments it needs), compacted."""
    document: DocumentNode = parse(QUERIES_FILE.read_text(encoding="utf-8"))
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    found: dict[str, str] = {}
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode) or definition.name is None:
            continue
        needed = _closure(_spread_names(definition), fragments)
        parts = [print_ast(definition), *(print_ast(fragments[name]) for name in needed)]
        # Without ignored characters (whitespace, commas): the scripts send them in GET query strings.
        found[definition.name.value] = strip_ignored_characters("\n".join(parts))
    return found


def document(name: str) -> str:
    """The document of the operation `name` (KeyError for an unknown one: a bug of the page)."""
    return operations()[name]

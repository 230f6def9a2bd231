"""Set-based writes for batches: one array parameter per column, expanded with `unnest`.

A batch of 1,000 rows is then one statement with a dozen parameters instead of a statement with
fifteen thousand placeholders, which both SQLAlchemy and the driver would have to render and parse.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession


def _select_list(columns: Mapping[str, str]) -> str:
    exprs = []
    for name, pg_type in columns.items():
        if pg_type == "jsonb":
            exprs.append(f"u.{name}::jsonb")
        elif pg_type == "text[]":  # arrays travel as JSON text: unnest would flatten a 2-D array
            exprs.append(f"ARRAY(SELECT jsonb_array_elements_text(u.{name}::jsonb))")
        else:
            exprs.append(f"u.{name}")
    return ", ".join(exprs)


def _wire_type(pg_type: str) -> str:
    return "text" if pg_type in ("jsonb", "text[]") else pg_type


def unnest_insert(table: str, columns: Mapping[str, str], tail: str = "") -> TextClause:
    """`INSERT INTO table (columns) SELECT … FROM unnest(:col::type[], …) tail`."""
    names = ", ".join(columns)
    arrays = ", ".join(f"CAST(:{name} AS {_wire_type(t)}[])" for name, t in columns.items())
    return text(
        f"INSERT INTO {table} ({names}) SELECT {_select_list(columns)} FROM unnest({arrays}) AS u({names}) {tail}"
    )


def column_arrays(rows: Sequence[Mapping[str, Any]], columns: Mapping[str, str]) -> dict[str, list[Any]]:
    return {name: [row[name] for row in rows] for name in columns}


async def insert_rows(
    session: AsyncSession, table: str, columns: Mapping[str, str], rows: Sequence[Mapping[str, Any]]
) -> None:
    if rows:
        await session.execute(unnest_insert(table, columns), column_arrays(rows, columns))

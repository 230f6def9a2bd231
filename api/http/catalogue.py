"""The published catalogue (四张清单) at stable URLs, generated from the tables the flags come from.

- `GET /catalogue/measures.csv`: the two measure lists (守信激励政策措施清单, 失信惩戒政策措施清单);
- `GET /catalogue/scopes.csv`: the two scope lists (诚信典型范围清单, 严重失信行为及主体范围清单);
- `GET /catalogue/measures.json`: the four lists, the suspension and the withdrawal rules.

CSV files start with a UTF-8 byte order mark and have Chinese headers, so that spreadsheet programs
used in Chinese offices open them as UTF-8. Public, like the GraphQL `measures` query: admission is
the GraphQL endpoint's (a bad key is refused, the address's and key's budgets are charged
`CATALOGUE_COST`). The bodies depend only on the packaged catalogue, so they are built once per
process and carry an ETag (a matching `If-None-Match` is answered 304).
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
from collections.abc import Awaitable, Callable, Mapping, Sequence

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.guard.admission import Admission, Refused
from credit.measures import service
from credit.rules.lists import MEASURE_COLUMNS, SCOPE_COLUMNS, catalogue_document, measure_rows, scope_rows

CATALOGUE_COST = 10
BOM = "\ufeff"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
JSON_MEDIA_TYPE = "application/json"


def csv_text(columns: Sequence[tuple[str, str]], rows: Sequence[Mapping[str, str]]) -> str:
    """A CSV document with a BOM, the Chinese headers of `columns`, and `rows` (CRLF line ends)."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([header for _, header in columns])
    for row in rows:
        writer.writerow([row[key] for key, _ in columns])
    return out.getvalue()


@functools.cache
def bodies() -> Mapping[str, tuple[bytes, str, str]]:
    """name -> (body, media type, ETag), built once per process from the packaged catalogue."""
    catalogue = service.catalogue()
    built = {
        "measures.csv": (csv_text(MEASURE_COLUMNS, measure_rows(catalogue)).encode("utf-8"), CSV_MEDIA_TYPE),
        "scopes.csv": (csv_text(SCOPE_COLUMNS, scope_rows(catalogue)).encode("utf-8"), CSV_MEDIA_TYPE),
        "measures.json": (orjson.dumps(catalogue_document(catalogue), option=orjson.OPT_INDENT_2), JSON_MEDIA_TYPE),
    }
    return {
        name: (body, media_type, '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"')
        for name, (body, media_type) in built.items()
    }


def _refusal(refused: Refused) -> Response:
    body = {"errors": [{"message": refused.message, "extensions": {"code": refused.code}}]}
    return Response(orjson.dumps(body), refused.status, refused.headers, media_type=JSON_MEDIA_TYPE)


def _endpoint(name: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        admission: Admission = request.app.state.admission
        try:
            await admission.admit(request, CATALOGUE_COST)
        except Refused as refused:
            return _refusal(refused)
        body, media_type, etag = bodies()[name]
        headers = {"ETag": etag, "Cache-Control": "public, max-age=3600"}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        headers["Content-Disposition"] = f'inline; filename="{name}"'
        return Response(body, media_type=media_type, headers=headers)

    return endpoint


def catalogue_routes() -> list[Route]:
    return [Route(f"/catalogue/{name}", _endpoint(name), methods=["GET"]) for name in bodies()]

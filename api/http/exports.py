"""HTTP routes of the disclosure feed for analysis and feed readers.

- `GET /export/disclosures.csv`, `GET /export/disclosures.ndjson` and `GET /export/disclosures.xlsx`:
  the whole filtered feed, newest first, read from a server-side cursor (one snapshot, constant
  memory); CSV and xlsx with Chinese headers (the CSV with a UTF-8 byte-order mark for Excel), or with
  `headers=en` the English field names (and no byte-order mark);
- `GET /feeds/disclosures.atom`: the newest 50 records of the filtered feed, with an ETag.

Filters are the query parameters `categories` (repeated or comma separated), `regionCodePrefix` (digits
of a division code, or a division's name: 常州, 天宁区), `authority`, `publishedFrom` and `publishedTo`
(ISO dates) — the fields of `DisclosureFilter`,
validated by the same `FeedFilter.of`. Authentication is the GraphQL endpoint's: no header is
PUBLIC, `Authorization: Bearer <key>` a key's viewer, a bad key 401 UNAUTHENTICATED; what is
exported is what every role sees in the feed (natural persons masked).

Every query parameter is checked before anything is sent (400 BAD_USER_INPUT naming it; control
characters such as NUL are refused here, before PostgreSQL would refuse them midway).

Admission is the GraphQL endpoint's (`api.guard.admission`): the address's and key's penalty box, a
refused key charged the limiter's flat refusal cost, and an export charged `EXPORT_COST` (an Atom fetch
`ATOM_COST`) against the same budgets as GraphQL. A database that cannot be reached is 503
SERVICE_UNAVAILABLE with `Retry-After`, for the key's lookup as for the export itself.
How an export is sent (slots per process and per address, send timeout, time cap, a broken transfer
when it cannot finish) is `api.http.export_stream`.

The Atom feed's id and self link come from `PUBLIC_BASE_URL`, never from the request's Host header
(which a client or a misconfigured proxy chooses, and which a shared cache would then serve to
everyone); without it the id is a URN of the filter and there is no self link.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from typing import Any
from urllib.parse import quote, urlencode

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.guard.admission import Admission, Refused, usage_headers
from api.http.export_stream import READY, ExportResponse, ExportSlots
from api.http.feed_formats import atom_document, atom_etag, csv_chunks, describe, ndjson_chunks
from api.http.xlsx import xlsx_chunks
from credit import clock
from credit.disclosures import service
from credit.disclosures.feed import FeedFilter
from credit.enums import RecordCategory
from credit.errors import InvalidRequest
from credit.platform.config import Settings
from credit.platform.db import DATABASE_RETRY_AFTER, database_unavailable
from credit.platform.runtime import Runtime
from credit.privacy.view import clean_message

EXPORT_COST = 1000  # about five full pages of `disclosures(first: 100)`
ATOM_COST = 50
ATOM_ENTRIES = 50
STREAM_BATCH = 1000
INCOMPLETE = "the export failed midway: this file is incomplete"
#: The last line of a text export that failed midway (the connection is then cut).
FAILURE_LINES = {
    "csv": f'"#ERROR: 导出中断，文件不完整 ({INCOMPLETE})"\r\n'.encode(),
    "ndjson": orjson.dumps({"error": {"code": "INTERNAL_SERVER_ERROR", "message": INCOMPLETE}}) + b"\n",
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    body = {"errors": [{"message": clean_message(message), "extensions": {"code": code}}]}
    return Response(orjson.dumps(body), status_code=status, headers=headers, media_type="application/json")


def _refusal(refused: Refused) -> Response:
    return _error(refused.status, refused.code, refused.message, refused.headers)


def _date(params: Any, name: str) -> dt.date | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidRequest(f"{name} must be a date (YYYY-MM-DD)") from None


def _check_characters(request: Request) -> None:
    """InvalidRequest for a parameter holding a control character (NUL, line breaks, …): no filter
    or option has any, and PostgreSQL would refuse a NUL only once the response has started."""
    for name, value in request.query_params.multi_items():
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in name + value):
            shown = name if name.isascii() and name.isidentifier() and len(name) <= 40 else "a parameter"
            raise InvalidRequest(f"{shown} must not hold control characters")


def filter_from_query(request: Request) -> FeedFilter:
    """The feed filter of the query string; InvalidRequest naming the bad parameter."""
    _check_characters(request)
    params = request.query_params
    categories: list[RecordCategory] = []
    for value in params.getlist("categories"):
        for name in filter(None, (part.strip() for part in value.split(","))):
            try:
                categories.append(RecordCategory(name))
            except ValueError:
                shown = f" {name!r}" if name.isascii() and name.isidentifier() and len(name) <= 40 else ""
                raise InvalidRequest(f"categories: unknown category{shown}") from None
    return FeedFilter.of(
        categories=categories,
        region_code_prefix=params.get("regionCodePrefix") or None,
        authority=params.get("authority") or None,
        published_from=_date(params, "publishedFrom"),
        published_to=_date(params, "publishedTo"),
    )


Handler = Callable[[Request], Awaitable[Response]]
Render = Callable[..., AsyncGenerator[bytes, None]]


def english_headers(request: Request) -> bool:
    """`headers=en` (field names) or `headers=zh` (Chinese, the default); InvalidRequest otherwise."""
    value = request.query_params.get("headers", "zh")
    if value not in ("en", "zh"):
        raise InvalidRequest("headers must be zh (Chinese headers, the default) or en (field names)")
    return value == "en"


def _guarded(cost: int, handler: Callable[[Request, FeedFilter], Awaitable[Response]]) -> Handler:
    async def endpoint(request: Request) -> Response:
        admission: Admission = request.app.state.admission
        try:
            feed_filter = filter_from_query(request)
            await admission.admit(request, cost)
            response = await handler(request, feed_filter)
        except InvalidRequest as exc:
            return _error(400, "BAD_USER_INPUT", exc.message)
        except Refused as refused:
            return _refusal(refused)
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            retry = {"Retry-After": str(DATABASE_RETRY_AFTER)}
            return _error(503, "SERVICE_UNAVAILABLE", "the database is unavailable; retry later", retry)
        response.headers.update(usage_headers(request))
        return response

    return endpoint


def feed_urls(base_url: str, feed_filter: FeedFilter) -> tuple[str, str | None]:
    """The Atom feed's id and self link: under the configured public address, or without one a URN
    of the filter and no self link (never the request's Host)."""
    query = _canonical_query(feed_filter)
    if base_url:
        url = f"{base_url.rstrip('/')}/feeds/disclosures.atom" + (f"?{query}" if query else "")
        return url, url
    return "urn:creditgraph:feed:disclosures" + (f":{quote(query, safe='')}" if query else ""), None


def export_routes(settings: Settings) -> list[Route]:
    """The routes, sharing one set of export slots (per app)."""
    slots = ExportSlots(settings.export_slots, settings.export_slots_per_client)

    def streaming(render: Render, media_type: str, suffix: str, *, headed: bool = True) -> Handler:
        async def handler(request: Request, feed_filter: FeedFilter) -> Response:
            options = {"english": english_headers(request)} if headed else {}
            runtime: Runtime = request.app.state.runtime
            today = clock.today()

            async def body() -> AsyncGenerator[bytes, None]:
                batches = service.stream(runtime, feed_filter, today, batch=STREAM_BATCH)
                async with aclosing(batches):
                    first = await anext(batches, None)  # the query answered: the response may start
                    yield READY

                    async def rows() -> AsyncIterator[Any]:
                        if first is not None:
                            yield first
                        async for batch in batches:
                            yield batch

                    async with aclosing(render(rows(), **options)) as chunks:
                        async for chunk in chunks:
                            yield chunk

            filename = f"disclosures-{today:%Y%m%d}.{suffix}"
            headers = {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}
            return ExportResponse(
                body,
                slots=slots,
                address=request.app.state.admission.address(request),
                send_timeout=settings.export_send_timeout_seconds,
                max_seconds=settings.export_max_seconds,
                media_type=media_type,
                headers=headers,
                failure_line=FAILURE_LINES.get(suffix),
            )

        return _guarded(EXPORT_COST, handler)

    async def atom(request: Request, feed_filter: FeedFilter) -> Response:
        runtime: Runtime = request.app.state.runtime
        rows = await service.newest(runtime, feed_filter, clock.today(), ATOM_ENTRIES)
        feed_id, self_url = feed_urls(settings.public_base_url, feed_filter)
        etag = atom_etag(feed_id, rows)
        headers = {"ETag": etag, "Cache-Control": "public, max-age=60"}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        title = "信用信息公示" + (f" · {description}" if (description := describe(feed_filter)) else "")
        document = atom_document(rows, feed_id=feed_id, self_url=self_url, title=title, now=dt.datetime.now(dt.UTC))
        return Response(document, media_type="application/atom+xml; charset=utf-8", headers=headers)

    return [
        Route("/export/disclosures.csv", streaming(csv_chunks, "text/csv; charset=utf-8", "csv")),
        Route("/export/disclosures.ndjson", streaming(ndjson_chunks, "application/x-ndjson", "ndjson", headed=False)),
        Route("/export/disclosures.xlsx", streaming(xlsx_chunks, XLSX, "xlsx")),
        Route("/feeds/disclosures.atom", _guarded(ATOM_COST, atom)),
    ]


def _canonical_query(feed_filter: FeedFilter) -> str:
    """The filter as a query string in a fixed order: one feed id per filter, however it was spelled."""
    pairs: list[tuple[str, str]] = []
    if feed_filter.categories:
        pairs.append(("categories", ",".join(c.value for c in feed_filter.categories)))
    if feed_filter.region_code_prefix:
        pairs.append(("regionCodePrefix", feed_filter.region_code_prefix))
    if feed_filter.authority:
        pairs.append(("authority", feed_filter.authority))
    if feed_filter.published_from:
        pairs.append(("publishedFrom", feed_filter.published_from.isoformat()))
    if feed_filter.published_to:
        pairs.append(("publishedTo", feed_filter.published_to.isoformat()))
    return urlencode(pairs)

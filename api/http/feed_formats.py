"""Renderings of the disclosure feed for analysis and feed readers: CSV, NDJSON and Atom (RFC 4287);
the spreadsheet is in `api.http.xlsx`.

Rows are the flat `credit.disclosures.feed.EXPORT_COLUMNS`; personal data is what is stored, which for
natural persons is the masked name and ID number, so every rendering is masked like the API. Every
coded value (category, status, severity, kind of subject) comes with its Chinese label
(`credit.enums.LABELS`) in a column beside it.
CSV and NDJSON are produced batch by batch from an async iterator of row batches, so their memory
does not depend on the size of the export.

The CSV is for people first: it starts with a UTF-8 byte-order mark (without it Excel on Chinese
Windows reads the file as GBK and shows mojibake) and its header line is in Chinese (`HEADERS_ZH`).
With `?headers=en` it is for scripts: the English field names (`FIELDS`, as the GraphQL fields are
named) and no byte-order mark.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Sequence
from enum import StrEnum
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

import orjson

from credit.disclosures.feed import FeedFilter
from credit.enums import RecordCategory, label
from credit.subjects.regions import region_names

#: Columns of the exports (and keys of the NDJSON objects), named as the GraphQL fields are, each with
#: its Chinese header.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "记录编号"),
    ("category", "类别代码"),
    ("categoryLabel", "类别"),
    ("status", "状态代码"),
    ("statusLabel", "状态"),
    ("title", "标题"),
    ("decisionNumber", "决定文书号"),
    ("authority", "认定单位"),
    ("decidedOn", "决定日期"),
    ("publishedOn", "公示日期"),
    ("disclosureUntil", "公示截止日期"),
    ("severity", "严重程度代码"),
    ("severityLabel", "严重程度"),
    ("listName", "名单名称"),
    ("validFrom", "有效期起"),
    ("validUntil", "有效期止"),
    ("subjectId", "主体编号"),
    ("subjectKind", "主体类型代码"),
    ("subjectKindLabel", "主体类型"),
    ("subjectName", "主体名称"),
    ("subjectCode", "统一社会信用代码或身份证号"),
    ("regionCode", "行政区划代码"),
    ("province", "省"),
    ("city", "市"),
    ("county", "区县"),
)
FIELDS = tuple(name for name, _ in COLUMNS)
HEADERS_ZH = tuple(header for _, header in COLUMNS)
BOM = "\ufeff".encode()

CHINA = dt.timezone(dt.timedelta(hours=8))
ATOM_NS = "http://www.w3.org/2005/Atom"
# Characters XML 1.0 cannot carry (a provider's text may hold them); dropped from Atom output.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Spreadsheet formula prefixes (CSV injection): such text cells get a leading apostrophe.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_TEXT_FIELDS = frozenset({"title", "decisionNumber", "authority", "listName", "subjectName"})


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "value"):  # enums
        return value.value
    return value


def _label(value: Any) -> str | None:
    return label(value) if isinstance(value, StrEnum) else None


def export_record(row: Any) -> dict[str, Any]:
    """One exported record: `FIELDS` with JSON-ready values (ISO dates, enum names, None)."""
    names = region_names(row.region_code) if row.region_code else None
    return {
        "id": row.id,
        "category": _plain(row.category),
        "categoryLabel": _label(row.category),
        "status": _plain(row.status),  # stored ACTIVE / UNDER_OBJECTION: the feed holds disclosed rows only
        "statusLabel": _label(row.status),
        "title": row.title,
        "decisionNumber": row.decision_number,
        "authority": row.authority,
        "decidedOn": _plain(row.decided_on),
        "publishedOn": _plain(row.published_on),
        "disclosureUntil": _plain(row.disclosure_until),
        "severity": _plain(row.severity),
        "severityLabel": _label(row.severity),
        "listName": row.list_name,
        "validFrom": _plain(row.valid_from),
        "validUntil": _plain(row.valid_until),
        "subjectId": row.subject_id,
        "subjectKind": _plain(row.subject_kind),
        "subjectKindLabel": _label(row.subject_kind),
        "subjectName": row.subject_name,
        "subjectCode": row.subject_code,
        "regionCode": row.region_code,
        "province": names.province if names else None,
        "city": names.city if names else None,
        "county": names.county if names else None,
    }


def _csv_cell(name: str, value: Any) -> Any:
    if value is None:
        return ""
    if name in _TEXT_FIELDS and isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


async def csv_chunks(batches: AsyncIterator[Sequence[Any]], *, english: bool = False) -> AsyncGenerator[bytes, None]:
    """UTF-8 CSV with a header line, one chunk per batch of rows: for people (a byte-order mark and
    Chinese headers) or, `english`, for scripts (the field names, no byte-order mark)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(FIELDS if english else HEADERS_ZH)
    yield (b"" if english else BOM) + buffer.getvalue().encode()
    async for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        for row in batch:
            record = export_record(row)
            writer.writerow([_csv_cell(name, record[name]) for name in FIELDS])
        yield buffer.getvalue().encode()


async def ndjson_chunks(batches: AsyncIterator[Sequence[Any]]) -> AsyncGenerator[bytes, None]:
    """One JSON object a line, one chunk per batch of rows."""
    async for batch in batches:
        yield b"".join(orjson.dumps(export_record(row)) + b"\n" for row in batch)


def describe(feed_filter: FeedFilter) -> str:
    """A short human title for a filter, e.g. 行政处罚 · 3204 · 常州市生态环境局 · 2024-05-01…2024-05-31."""
    parts = [label(c) for c in feed_filter.categories]
    if feed_filter.region_code_prefix:
        names = region_names(feed_filter.region_code_prefix.ljust(6, "0")[:6])
        parts.append(names.full if names else feed_filter.region_code_prefix)
    if feed_filter.authority:
        parts.append(feed_filter.authority)
    if feed_filter.published_from or feed_filter.published_to:
        start = feed_filter.published_from.isoformat() if feed_filter.published_from else ""
        end = feed_filter.published_to.isoformat() if feed_filter.published_to else ""
        parts.append(f"{start}…{end}")
    return " · ".join(parts)


def _xml_text(value: object) -> str:
    return _NOT_XML.sub("", str(value))


def _day_start(day: dt.date) -> str:
    return dt.datetime.combine(day, dt.time(), CHINA).isoformat()


def _timestamp(value: dt.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.isoformat(timespec="seconds")


def atom_etag(feed_id: str, rows: Iterable[Any]) -> str:
    digest = hashlib.blake2b(feed_id.encode(), digest_size=12)
    for row in rows:
        digest.update(f"|{row.id}:{_timestamp(row.updated_at)}".encode())
    return f'"{digest.hexdigest()}"'


def _entry_text(record: dict[str, Any]) -> str:
    region = " ".join(p for p in (record["province"], record["city"], record["county"]) if p)
    lines = [
        f"主体：{record['subjectName']}（{record['subjectCode']}）",
        f"地区：{region or record['regionCode'] or '—'}",
        f"决定机关：{record['authority']}",
        f"文书号：{record['decisionNumber'] or '—'}",
        f"决定日期：{record['decidedOn']}",
        f"公示截止：{record['disclosureUntil'] or '—'}",
        f"状态：{'异议核查中' if record['status'] == 'UNDER_OBJECTION' else '公示中'}",
    ]
    return "\n".join(lines)


def atom_document(rows: Sequence[Any], *, feed_id: str, self_url: str | None, title: str, now: dt.datetime) -> bytes:
    """An Atom feed of the rows (newest first), each entry identified by its record id; a self link
    only when the service's public address is known (`self_url`)."""
    feed = Element("feed", {"xmlns": ATOM_NS, "xml:lang": "zh-CN"})
    SubElement(feed, "id").text = _xml_text(feed_id)
    SubElement(feed, "title").text = _xml_text(title)
    updated = max((row.updated_at for row in rows), default=now)
    SubElement(feed, "updated").text = _timestamp(updated)
    if self_url is not None:
        SubElement(feed, "link", {"rel": "self", "type": "application/atom+xml", "href": self_url})
    SubElement(feed, "generator").text = "creditgraph"
    for row in rows:
        record = export_record(row)
        entry = SubElement(feed, "entry")
        SubElement(entry, "id").text = f"urn:creditgraph:record:{row.id}"
        SubElement(entry, "title").text = _xml_text(f"{record['subjectName']}：{record['title']}")
        SubElement(entry, "updated").text = _timestamp(row.updated_at)
        SubElement(entry, "published").text = _day_start(row.published_on)
        author = SubElement(entry, "author")
        SubElement(author, "name").text = _xml_text(record["authority"])
        category = RecordCategory(record["category"])
        SubElement(entry, "category", {"term": category.value, "label": label(category)})
        SubElement(entry, "content", {"type": "text"}).text = _xml_text(_entry_text(record))
    body: bytes = tostring(feed, encoding="utf-8", xml_declaration=True)
    return body

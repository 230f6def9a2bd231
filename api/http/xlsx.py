"""The disclosure feed as an Excel workbook (`GET /export/disclosures.xlsx`), built with XlsxWriter.

The same rows, columns, labels and masking as the CSV (`api.http.feed_formats`), with Chinese headers
(or `?headers=en` for the field names). XlsxWriter's `constant_memory` mode writes each row to a
temporary file as it comes, so memory stays flat whatever the size of the export; the workbook (a zip
file) can only be assembled once the last row is in, so it is built on disk and then streamed. One
sheet holds at most 1,048,576 rows: an export past `MAX_ROWS` ends with a line saying so (the CSV and
NDJSON exports have no such limit).

Cells are typed: ids as numbers, days as dates, everything else as text. Text is written with
`write_string` and the workbook's `strings_to_formulas`, `strings_to_urls` and `strings_to_numbers`
off, so a provider's title that starts with `=` is shown as text and never evaluated (CSV injection);
characters XML cannot carry are dropped.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import tempfile
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from typing import Any

import xlsxwriter

from api.http.feed_formats import FIELDS, HEADERS_ZH, export_record

MAX_ROWS = 1_048_575  # Excel's rows per sheet, less the header
CHUNK = 64 * 1024
_NUMBERS = frozenset({"id", "subjectId"})
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
TRUNCATED = "（导出已截断：一张工作表最多 1,048,576 行，完整数据请用 CSV 或 NDJSON 导出）"


class _Sheet:
    """A workbook on disk with one sheet, written row by row (called from a worker thread)."""

    def __init__(self, path: str, english: bool) -> None:
        self.book = xlsxwriter.Workbook(
            path,
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "tmpdir": os.path.dirname(path),
            },
        )
        self.sheet = self.book.add_worksheet("信用信息公示")
        self.date = self.book.add_format({"num_format": "yyyy-mm-dd"})
        bold = self.book.add_format({"bold": True})
        self.sheet.write_row(0, 0, [str(h) for h in (FIELDS if english else HEADERS_ZH)], bold)
        self.sheet.freeze_panes(1, 0)
        self.rows = 0

    def write(self, batch: Sequence[Any]) -> bool:
        """Write a batch; False once the sheet is full (the rest of the export is left out)."""
        for row in batch:
            if self.rows >= MAX_ROWS:
                return False
            self.rows += 1
            record = export_record(row)
            for column, name in enumerate(FIELDS):
                value = record[name]
                if value is None:
                    continue
                if name in _NUMBERS:
                    self.sheet.write_number(self.rows, column, value)
                elif name.endswith(("On", "Until", "From")) and isinstance(value, str):
                    self.sheet.write_datetime(self.rows, column, dt.date.fromisoformat(value), self.date)
                else:
                    self.sheet.write_string(self.rows, column, _NOT_XML.sub("", str(value)))
        return True

    def close(self, truncated: bool) -> None:
        if truncated:
            self.sheet.write_string(self.rows + 1, 0, TRUNCATED)
        self.book.close()


async def xlsx_chunks(batches: AsyncIterator[Sequence[Any]], *, english: bool = False) -> AsyncGenerator[bytes, None]:
    """The workbook of the feed's row batches, built in a temporary folder, then read out in chunks."""
    with tempfile.TemporaryDirectory(prefix="creditgraph-xlsx-") as folder:
        path = os.path.join(folder, "export.xlsx")
        sheet = await asyncio.to_thread(_Sheet, path, english)
        truncated = False
        async for batch in batches:
            if not await asyncio.to_thread(sheet.write, batch):
                truncated = True
                break
        await asyncio.to_thread(sheet.close, truncated)
        with open(path, "rb") as workbook:  # noqa: ASYNC230 - a local file read in bounded chunks
            while chunk := await asyncio.to_thread(workbook.read, CHUNK):
                yield chunk

"""Exports of records and statistics: Excel (XLSX) and Word (DOCX), as the seed product offers.

Safety first: every text that reaches a cell or a paragraph goes through :func:`cell`, which
neutralises spreadsheet formulas (a leading ``= + - @``, tab, CR, or their full-width forms gets a
``'`` in front: a visitor who types ``=HYPERLINK(...)`` must not get a live formula in the
supervisor's Excel) and drops the control characters XML cannot hold.

Size second: XLSX is written by openpyxl's write-only mode (rows go to disk as they come, memory
stays flat) into a temporary file, from row iterators that read the database in batches; the
response streams that file. DOCX has no streaming writer, so a DOCX of records is capped.
"""

from __future__ import annotations

import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import chain, islice
from typing import IO, Any, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.shared import Cm
from fastapi.responses import StreamingResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from starlette.concurrency import run_in_threadpool

from chatflow.admin_api.problems import ApiProblem
from chatflow.engine.clock import as_utc

Format = Literal["xlsx", "docx"]
MEDIA_TYPES: dict[str, str] = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
FORMULA_TRIGGERS = frozenset("=+-@\t\r＝＋－＠")
"""First characters that make a spreadsheet read a cell as a formula (OWASP CSV injection)."""
XLSX_MAX_ROWS = 1_048_575
"""Data rows per sheet (Excel's limit less the header); more continue on another sheet."""
DOCX_MAX_RECORDS = 2000
"""A Word export is built in memory; past this many conversations, use Excel or a smaller range."""
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")

Value = str | int | float | datetime | None
TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
"""How Excel shows a time written as a time (an export for people), seed 000's format."""
WIDTH_SAMPLE = 50
"""Rows read ahead to size a sheet's columns (the rest stream as before)."""


def neutralise(text: str) -> str:
    """``text`` that no spreadsheet will evaluate: ``'=1+1`` for ``=1+1``."""
    return "'" + text if text and text[0] in FORMULA_TRIGGERS else text


def timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: 'America' is a folder
        raise ApiProblem(
            422, "invalid_input", f"unknown time zone {name!r}; use an IANA name like Asia/Taipei"
        ) from None


def format_time(moment: datetime | None, tz: ZoneInfo) -> str | None:
    """Seed 000 format ``YYYY-MM-DD hh:mm:ss`` in ``tz``; naive values are UTC."""
    if moment is None:
        return None
    aware = as_utc(moment)
    return aware.astimezone(tz).isoformat(" ", "seconds")[:19]  # strftime is 3x slower


def date_span(start: datetime, end: datetime, tz: ZoneInfo, *, end_inclusive: bool) -> str:
    """The days a range covers, for a file name: ``20261101-20261121``, or ``20261121`` for one
    day. An exclusive end (a date asked for reads as the next midnight) names the day before."""
    last = end if end_inclusive else end - timedelta(microseconds=1)
    first_day = as_utc(start).astimezone(tz).strftime("%Y%m%d")
    last_day = as_utc(max(last, start)).astimezone(tz).strftime("%Y%m%d")
    return first_day if first_day == last_day else f"{first_day}-{last_day}"


def local_time(moment: datetime | None, tz: ZoneInfo) -> datetime | None:
    """``moment`` as ``tz``'s wall clock, to the second, without a zone: what a spreadsheet
    stores as a time it can sort, filter and subtract (an export for people)."""
    if moment is None:
        return None
    return as_utc(moment).astimezone(tz).replace(tzinfo=None, microsecond=0)


def cell(value: object) -> Value:
    """A value safe to write: texts neutralised and cleaned; numbers kept as numbers."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value
    return neutralise(_ILLEGAL.sub("", str(value)))


@dataclass(frozen=True)
class Table:
    """A sheet in Excel, a heading and a table in Word."""

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[object]]


@dataclass(frozen=True)
class Section:
    """A Word section: a heading, lines of text, then optional tables."""

    heading: str
    lines: Sequence[str] = ()
    tables: Sequence[Table] = ()


def write_xlsx(out: IO[bytes], tables: Iterable[Table]) -> None:
    """Write ``tables`` as sheets, pulling rows one at a time (write-only workbook): a bold,
    frozen header row, columns as wide as the header and the first rows need."""
    book = Workbook(write_only=True)
    for table in tables:
        rows = iter(table.rows)
        ahead = list(islice(rows, WIDTH_SAMPLE))
        part, written = 1, 0
        sheet = _new_sheet(book, table, part, ahead)
        for row in chain(ahead, rows):
            if written == XLSX_MAX_ROWS:
                part, written = part + 1, 0
                sheet = _new_sheet(book, table, part, ahead)
            sheet.append([_xlsx_cell(sheet, v) for v in row])
            written += 1
    if not book.worksheets:
        book.create_sheet("empty")
    book.save(out)


def _new_sheet(book: Workbook, table: Table, part: int, sample: Sequence[Sequence[object]]) -> Any:
    """A write-only sheet (openpyxl exports no public type for it) with its header written."""
    sheet = book.create_sheet(_sheet_title(table.title, part))
    sheet.freeze_panes = "A2"
    for index, header in enumerate(table.headers):
        texts = [header, *(_shown(row[index]) for row in sample if index < len(row))]
        width = min(max(_display_width(t) for t in texts) + 2, 50)
        sheet.column_dimensions[get_column_letter(index + 1)].width = max(width, 8)
    heads = []
    for header in table.headers:
        head = WriteOnlyCell(sheet, value=cell(header))
        head.font = Font(bold=True)
        heads.append(head)
    sheet.append(heads)
    return sheet


def _xlsx_cell(sheet: Any, value: object) -> object:
    safe = cell(value)
    if not isinstance(safe, datetime):
        return safe
    timed = WriteOnlyCell(sheet, value=safe)
    timed.number_format = TIME_FORMAT
    return timed


def _shown(value: object) -> str:
    safe = cell(value)
    return "" if safe is None else str(safe)


def _display_width(text: str) -> int:
    """Columns a text takes in a spreadsheet: a CJK character is two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text[:60])


def _sheet_title(title: str, part: int) -> str:
    clean = re.sub(r"[\[\]:*?/\\]", " ", title)[:28].strip() or "sheet"
    return clean if part == 1 else f"{clean} {part}"


def write_docx(out: IO[bytes], title: str, sections: Iterable[Section]) -> None:
    """Write a Word document: the title, then each section's heading, lines and tables."""
    document = Document()
    _landscape_a4(document)
    document.add_heading(str(cell(title)), level=0)
    for section in sections:
        document.add_heading(str(cell(section.heading)), level=1)
        for line in section.lines:
            document.add_paragraph(str(cell(line)))
        for table in section.tables:
            if table.title:
                document.add_heading(str(cell(table.title)), level=2)
            grid = document.add_table(rows=1, cols=len(table.headers))
            grid.style = "Table Grid"
            for target, header in zip(grid.rows[0].cells, table.headers, strict=True):
                target.text = str(cell(header))
            for row in table.rows:
                cells = grid.add_row().cells
                for target, value in zip(cells, row, strict=True):
                    safe = cell(value)
                    target.text = "" if safe is None else str(safe)
    document.save(out)


def _landscape_a4(document: Any) -> None:
    """A4 across, narrow margins: a records table has many columns (seed 000's users are on A4)."""
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))


async def file_response(
    build: Callable[[IO[bytes]], None],
    filename: str,
    fmt: Format,
    *,
    local_name: str | None = None,
) -> StreamingResponse:
    """Build the file in a worker thread into a temporary file, then stream it in chunks.
    ``local_name`` (a zh-CN export's name) goes in ``filename*`` (RFC 6266), with the ASCII
    ``filename`` beside it for clients that read only that."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115  (closed by the stream, or below)
    try:
        await run_in_threadpool(build, spool)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)

    def chunks() -> Iterator[bytes]:
        with spool:
            while block := spool.read(256 * 1024):
                yield block

    return StreamingResponse(
        chunks(),
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": disposition(filename, fmt, local_name)},
    )


def disposition(filename: str, fmt: Format, local_name: str | None = None) -> str:
    """``attachment`` named ``filename.fmt`` (kept to ``[A-Za-z0-9_.-]``), and ``local_name``
    as ``filename*`` when there is one."""
    safe_name = re.sub(r"[^A-Za-z0-9_.-]", "_", filename)
    header = f'attachment; filename="{safe_name}.{fmt}"'
    if not local_name or local_name == safe_name:
        return header
    return f"{header}; filename*=UTF-8''{quote(f'{local_name}.{fmt}', safe='')}"

"""Reading a quick-reply upload (seed 004 批量上传): CSV or XLSX, checked before it is trusted.

The file's type is decided by its bytes, not its name: an XLSX is a zip holding
``xl/workbook.xml`` (and is refused if it would unpack past 50 MB: a zip bomb), a CSV is text
without NUL bytes in UTF-8 (a BOM is fine) or GB18030 (what Excel on Chinese Windows saves).
A name, when given, must agree. The first row is the header (``组名,标题,内容`` as in the seed
template, or ``category,title,content``); each later row is checked on its own, so the valid
ones can be imported and every invalid one reported with its row number, column and reason.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from openpyxl import load_workbook

MAX_BYTES = 2 * 1024 * 1024
MAX_UNPACKED = 50 * 1024 * 1024
MAX_ROWS = 5000
LIMITS = {"category": 32, "title": 64, "content": 2000}
HEADERS: dict[str, frozenset[str]] = {
    "category": frozenset({"组名", "組名", "分组", "分組", "分类", "分類", "category", "group"}),
    "title": frozenset({"标题", "標題", "title"}),
    "content": frozenset(
        {"内容", "內容", "内文", "內文", "快捷回复内容", "快捷回覆內容", "content", "text"}
    ),
}
"""Accepted header names per column (compared after trimming and casefolding)."""

FileType = Literal["csv", "xlsx"]


class UploadRejected(Exception):
    """The file as a whole is refused (wrong type, too big, no usable header)."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class RowError:
    row: int
    """1-based, as the spreadsheet shows it; the header is row 1."""
    column: str | None
    message: str
    """In English; the import route words it in the request's language (problem_texts.py)."""


@dataclass(frozen=True)
class ReplyRow:
    row: int
    category: str
    title: str
    content: str


@dataclass
class Parsed:
    kind: FileType
    rows: list[ReplyRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    headings: dict[str, str] = field(default_factory=dict)
    """Column -> its heading as the file writes it (``组名``, ``Title``), for the report."""


def sniff(data: bytes, filename: str | None = None) -> FileType:
    """``csv`` or ``xlsx`` from the bytes; 415 for anything else or a name that disagrees."""
    if data[:4] == b"PK\x03\x04":
        kind: FileType = "xlsx"
        _check_workbook_zip(data)
    elif data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise UploadRejected(415, "unsupported_type", "old .xls files are not read; save as .xlsx")
    elif b"\x00" in data:
        raise UploadRejected(415, "unsupported_type", "the file is neither CSV text nor XLSX")
    else:
        kind = "csv"
    if filename is not None:
        suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        if suffix not in ("csv", "xlsx"):
            raise UploadRejected(415, "unsupported_type", "only .csv and .xlsx files are imported")
        if suffix != kind:
            raise UploadRejected(
                415, "unsupported_type", f"the file is named .{suffix} but its content is {kind}"
            )
    return kind


def _check_workbook_zip(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile:
        raise UploadRejected(415, "unsupported_type", "the file is a damaged zip") from None
    names = {member.filename for member in members}
    if "xl/workbook.xml" not in names:
        raise UploadRejected(415, "unsupported_type", "the zip is not an XLSX workbook")
    if sum(member.file_size for member in members) > MAX_UNPACKED:
        raise UploadRejected(413, "too_large", "the workbook unpacks to more than 50 MB")


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UploadRejected(415, "unsupported_type", "the CSV is neither UTF-8 nor GB18030 text")


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    try:
        for row in csv.reader(io.StringIO(_decode(data), newline="")):
            yield [_text(v) for v in row]
    except csv.Error as exc:
        raise UploadRejected(422, "unreadable_file", f"the CSV cannot be read: {exc}") from None


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        raise UploadRejected(
            422, "unreadable_file", f"the workbook cannot be read: {exc}"
        ) from None
    try:
        sheet = book.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [_text(v) for v in values]
    finally:
        book.close()


def _heading(name: str) -> str:
    return name.strip().lstrip("\ufeff").strip()


def _columns(header: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        key = _heading(name).casefold()
        for column, names in HEADERS.items():
            if key in names and column not in found:
                found[column] = index
    missing = [c for c in ("title", "content") if c not in found]
    if missing:
        raise UploadRejected(
            422,
            "bad_header",
            f"row 1 must name the columns; missing {', '.join(missing)} "
            "(expected 组名/category, 标题/title, 内容/content)",
        )
    return found


def parse_upload(data: bytes, filename: str | None = None) -> Parsed:
    """Every row of the upload, valid ones in ``rows``, the others in ``errors``."""
    if len(data) > MAX_BYTES:
        raise UploadRejected(413, "too_large", "the file is larger than 2 MB")
    if not data.strip():
        raise UploadRejected(422, "empty_file", "the file is empty")
    kind = sniff(data, filename)
    rows = _csv_rows(data) if kind == "csv" else _xlsx_rows(data)
    parsed = Parsed(kind)
    header = next(rows, None)
    if header is None:
        raise UploadRejected(422, "empty_file", "the file is empty")
    columns = _columns(header)
    parsed.headings = {name: _heading(header[index]) for name, index in columns.items()}
    seen: dict[tuple[str, str], int] = {}
    for number, values in enumerate(rows, start=2):
        if not any(values):
            continue
        if number > MAX_ROWS + 1:
            parsed.errors.append(
                RowError(number, None, f"at most {MAX_ROWS} rows are imported at once; stopped")
            )
            break
        cells = {
            name: values[index] if index < len(values) else "" for name, index in columns.items()
        }
        row_errors = [
            RowError(number, name, f"{name} is longer than {limit} characters")
            for name, limit in LIMITS.items()
            if len(cells.get(name, "")) > limit
        ]
        row_errors += [
            RowError(number, name, f"{name} is required")
            for name in ("title", "content")
            if not cells[name]
        ]
        key = (cells.get("category", ""), cells["title"])
        if not row_errors and key in seen:
            row_errors.append(
                RowError(number, "title", f"the same category and title as row {seen[key]}")
            )
        if row_errors:
            parsed.errors.extend(row_errors)
            continue
        seen[key] = number
        parsed.rows.append(ReplyRow(number, key[0], cells["title"], cells["content"]))
    return parsed

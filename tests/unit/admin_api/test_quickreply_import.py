from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from chatflow.admin_api.quickreply_import import (
    MAX_BYTES,
    ReplyRow,
    RowError,
    UploadRejected,
    parse_upload,
    sniff,
)
from chatflow.admin_api.routes_quick_replies import TEMPLATE

SEED_CSV = "组名,标题,内容\n我们的联系方式,400电话,如有问题，可以拨打我们的客服电话400\n"


def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rejected(data: bytes, filename: str | None = None) -> UploadRejected:
    with pytest.raises(UploadRejected) as info:
        parse_upload(data, filename)
    return info.value


def test_the_seed_template_in_utf8_with_bom_and_in_gb18030() -> None:
    expected = [ReplyRow(2, "我们的联系方式", "400电话", "如有问题，可以拨打我们的客服电话400")]
    for data in (SEED_CSV.encode("utf-8-sig"), SEED_CSV.encode("gb18030")):
        parsed = parse_upload(data, "quick-template.csv")
        assert parsed.kind == "csv" and parsed.rows == expected and parsed.errors == []


def test_rows_are_checked_one_by_one() -> None:
    text = (
        "category,title,content,extra\n"
        "greet,hello,Hi there,ignored\n"
        ",,\n"  # blank: skipped
        "greet,,no title\n"
        "greet,bye,\n"
        f"{'c' * 33},long,x\n"
        "greet,hello,again\n"
        ",no category,fine\n"
        "short row\n"
    )
    parsed = parse_upload(text.encode())
    assert [(r.row, r.category, r.title) for r in parsed.rows] == [
        (2, "greet", "hello"),
        (8, "", "no category"),
    ]
    assert parsed.errors == [
        RowError(4, "title", "title is required"),
        RowError(5, "content", "content is required"),
        RowError(6, "category", "category is longer than 32 characters"),
        RowError(7, "title", "the same category and title as row 2"),
        RowError(9, "title", "title is required"),
        RowError(9, "content", "content is required"),
    ]


def test_xlsx_is_read_from_its_first_sheet_with_numbers_as_text() -> None:
    rows: list[list[object]] = [
        ["分组", "标题", "内容"],
        ["价格", 400, "请拨打 400"],
        [None, None, None],
        ["a", "b", 3.0],
        ["a", "formula", "=1+1"],  # a formula counts by its saved value; openpyxl saves none
    ]
    parsed = parse_upload(xlsx(rows), "replies.xlsx")
    assert parsed.kind == "xlsx"
    assert [(r.row, r.category, r.title, r.content) for r in parsed.rows] == [
        (2, "价格", "400", "请拨打 400"),
        (4, "a", "b", "3"),
    ]
    assert parsed.errors == [RowError(5, "content", "content is required")]


def test_the_type_comes_from_the_content_not_the_name() -> None:
    workbook = xlsx([["title", "content"], ["a", "b"]])
    assert sniff(workbook) == "xlsx" and sniff(b"title,content\n") == "csv"
    assert "content is xlsx" in rejected(workbook, "replies.csv").detail
    assert "content is csv" in rejected(b"title,content\na,b\n", "replies.xlsx").detail
    assert rejected(b"title,content\n", "replies.txt").code == "unsupported_type"
    assert rejected(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR").status == 415
    assert "xls" in rejected(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100).detail
    docx_like = io.BytesIO()
    with zipfile.ZipFile(docx_like, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    assert "not an XLSX" in rejected(docx_like.getvalue()).detail
    assert rejected(b"PK\x03\x04 broken").detail == "the file is a damaged zip"


def test_size_bomb_header_and_encoding_checks() -> None:
    assert rejected(b"a" * (MAX_BYTES + 1)).status == 413
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (51 * 1024 * 1024))
    assert len(bomb.getvalue()) < MAX_BYTES and rejected(bomb.getvalue()).status == 413
    assert rejected(b"name,body\nx,y\n").code == "bad_header"
    assert rejected(b"   ").code == "empty_file"
    assert rejected(b"\xff\xfe\xfa title").code == "unsupported_type"  # neither UTF-8 nor GB18030


def test_the_documented_example_and_the_template_import_cleanly(root: Path) -> None:
    doc = (root / "docs" / "content.md").read_text(encoding="utf-8")
    (example,) = re.findall(r"```csv\n(.*?)```", doc, re.DOTALL)
    parsed = parse_upload(example.encode())
    assert len(parsed.rows) == 2 and parsed.errors == []
    template = parse_upload(TEMPLATE.encode("utf-8"), "quick-replies-template.csv")
    assert [r.title for r in template.rows] == ["开头语"] and template.errors == []

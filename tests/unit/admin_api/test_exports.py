from __future__ import annotations

import io
from decimal import Decimal

import pytest
from docx import Document
from openpyxl import load_workbook

from chatflow.admin_api import exports
from chatflow.admin_api.exports import Section, Table, cell, neutralise


@pytest.mark.parametrize(
    "text",
    ["=1+1", "+1", "-2", "@SUM(A1)", "\t=x", "\r=x", "＝1+1", "＋1", "－1", "＠x"],
)
def test_formula_triggers_are_neutralised(text: str) -> None:
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["", "hello", "1+1", "'quoted", "您好=1", " =x"])
def test_other_texts_are_kept(text: str) -> None:
    assert neutralise(text) == text


def test_cells_keep_numbers_and_drop_control_characters() -> None:
    assert cell(3) == 3 and cell(2.5) == 2.5 and cell(Decimal("2.3")) == 2.3 and cell(None) is None
    assert cell(True) == "yes" and cell(-5) == -5  # a number is not a formula
    assert cell("a\x00b\x1fc\nd") == "abc\nd"
    assert cell("=\x00cmd") == "'=cmd"


def test_xlsx_sheets_hold_rows_and_continue_past_the_row_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 3)
    out = io.BytesIO()
    rows = ([n, f"=row{n}"] for n in range(5))
    exports.write_xlsx(out, [Table("data", ("n", "text"), rows), Table("more:[x]", ("a",), [])])
    book = load_workbook(io.BytesIO(out.getvalue()))
    assert book.sheetnames == ["data", "data 2", "more  x"]
    first = [[c.value for c in row] for row in book["data"].iter_rows()]
    assert first == [["n", "text"], [0, "'=row0"], [1, "'=row1"], [2, "'=row2"]]
    assert [[c.value for c in row] for row in book["data 2"].iter_rows()][1:] == [
        [3, "'=row3"],
        [4, "'=row4"],
    ]


def test_docx_paragraphs_and_table_cells_are_neutralised() -> None:
    out = io.BytesIO()
    table = Table("lines", ("who", "text"), [["visitor", '=HYPERLINK("x")'], ["agent", None]])
    exports.write_docx(out, "=title", [Section("@heading", ["+line", "plain"], [table])])
    document = Document(io.BytesIO(out.getvalue()))
    texts = [p.text for p in document.paragraphs]
    assert texts[:4] == ["'=title", "'@heading", "'+line", "plain"]
    cells = [[c.text for c in row.cells] for row in document.tables[0].rows]
    assert cells == [["who", "text"], ["visitor", '\'=HYPERLINK("x")'], ["agent", ""]]


def test_unknown_time_zone_is_a_clear_422() -> None:
    with pytest.raises(exports.ApiProblem) as info:
        exports.timezone("Mars/Olympus")
    assert info.value.status == 422 and "Asia/Taipei" in info.value.detail

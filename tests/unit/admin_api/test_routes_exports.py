from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook
from records_kit import NOW, Kit, kit_fixture  # noqa: F401  (the fixture "kit")
from sqlmodel import Session

from chatflow.admin_api import routes_record_exports, routes_stats
from chatflow.admin_api.export_texts import TEXTS
from chatflow.engine.frames import Frame
from chatflow.engine.records import Recorder
from chatflow.engine.stores.recordsdb import GroupRow, SiteRow


def get(kit: Kit, url: str, account: str = "admin01", **params: Any) -> Any:
    response = kit.client.get(url, params=params, headers=kit.as_(account))
    assert response.status_code == 200, response.text
    return response


def sheet_rows(content: bytes, sheet: str) -> list[list[Any]]:
    """The sheet's rows, each as wide as its header (a reader drops a row's empty last cells)."""
    book = load_workbook(io.BytesIO(content), read_only=True)
    rows = [list(row) for row in book[sheet].iter_rows(values_only=True)]
    width = len(rows[0]) if rows else 0
    return [row + [None] * (width - len(row)) for row in rows]


def test_records_to_excel_with_neutralised_cells_and_local_times(kit: Kit) -> None:
    kit.conversation("s1", visitor="v1", messages=[("visitor", '=HYPERLINK("http://x")')])
    ended = NOW - timedelta(days=2) + timedelta(minutes=3)
    kit.conversation("s2", visitor="@evil", rating=4, days_ago=2, service_ended_at=ended)
    kit.conversation("theirs", merchant="other", site="other-web")
    response = get(
        kit, "/api/v1/records/export", format="xlsx", tz="Asia/Taipei", transcripts="true"
    )
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    # the default range: the last 30 days up to now, named by its first and last day
    assert response.headers["content-disposition"] == (
        'attachment; filename="records-20261024-20261123.xlsx"'
    )
    records = sheet_rows(response.content, "records")
    header = records[0]
    assert header == list(routes_record_exports.RECORD_HEADERS)
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in records[1:]}
    assert set(by_id) == {"s1", "s2"}
    assert by_id["s2"]["visitor_id"] == "'@evil" and by_id["s2"]["rating"] == 4
    assert by_id["s1"]["started_at"] == "2026-11-22 18:00:00"  # 10:00 UTC in Taipei
    assert by_id["s1"]["first_response_s"] == 10 and by_id["s1"]["reception_min"] == 4.7
    assert by_id["s1"]["service_ended_at"] is None
    assert by_id["s2"]["service_ended_at"] == "2026-11-21 18:03:00"  # Taipei, like its neighbours
    assert by_id["s2"]["ended_at"] == "2026-11-21 18:05:00" and by_id["s2"]["reception_min"] == 2.7
    messages = sheet_rows(response.content, "messages")
    assert messages[1][0] == "s1" and messages[1][5] == '\'=HYPERLINK("http://x")'


def test_exports_say_abandoned_and_reception_as_the_records_do(kit: Kit) -> None:
    """``old``: a served visitor who left a second queue, marked abandoned by an older version;
    ``moved``: Alice's and Bob's service segments, 150 s in all, around a wait in vip."""
    kit.conversation("old", abandoned=True)
    kit.conversation("moved", group="vip", agent="bob0001", served_micros=150_000_000)
    records = sheet_rows(get(kit, "/api/v1/records/export").content, "records")
    by_id = {row[0]: dict(zip(records[0], row, strict=True)) for row in records[1:]}
    assert by_id["old"]["abandoned"] == "no"
    assert (by_id["moved"]["reception_min"], by_id["moved"]["abandoned"]) == (2.5, "no")
    one = get(kit, "/api/v1/records/old/export", format="xlsx")
    assert ["abandoned", "no"] in sheet_rows(one.content, "conversation")


def test_records_to_word(kit: Kit) -> None:
    kit.conversation("s1", messages=[("visitor", "-1 refund"), ("agent", "ok")])
    response = get(kit, "/api/v1/records/export", format="docx", transcripts="true")
    document = Document(io.BytesIO(response.content))
    summary, transcript = document.tables
    assert summary.rows[1].cells[0].text == "s1"
    assert [c.text for c in transcript.rows[1].cells][3:] == ["visitor", "", "'-1 refund"]


def test_word_exports_are_capped(kit: Kit, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(routes_record_exports, "DOCX_MAX_RECORDS", 1)
    kit.conversation("s1")
    kit.conversation("s2")
    response = kit.client.get(
        "/api/v1/records/export", params={"format": "docx"}, headers=kit.as_("admin01")
    )
    assert response.status_code == 422 and response.json()["total"] == 2


def test_export_follows_scope_and_rights(kit: Kit) -> None:
    kit.conversation("mine")
    kit.conversation("bobs", group="vip", agent="bob0001")
    response = get(kit, "/api/v1/records/export", account="sup0001")
    assert [row[0] for row in sheet_rows(response.content, "records")[1:]] == ["mine"]
    denied = kit.client.get("/api/v1/records/export", headers=kit.as_("alice01"))
    assert denied.status_code == 403  # agents have no exports right
    bad_zone = kit.client.get(
        "/api/v1/records/export", params={"tz": "Nowhere/Else"}, headers=kit.as_("admin01")
    )
    assert bad_zone.status_code == 422


def test_one_transcript_to_word_and_excel(kit: Kit) -> None:
    ended = NOW - timedelta(days=1) + timedelta(minutes=2)
    kit.conversation(
        "s1",
        messages=[("visitor", "＝cmd|' /C calc'!A0"), ("agent", "您好")],
        service_ended_at=ended,
    )
    word = get(kit, "/api/v1/records/s1/export")
    document = Document(io.BytesIO(word.content))
    assert any(p.text == "session_id: s1" for p in document.paragraphs)
    assert any(p.text == "service_ended_at: 2026-11-22 10:02:00" for p in document.paragraphs)
    lines = [[c.text for c in row.cells] for row in document.tables[0].rows]
    assert lines[1][1:] == ["visitor", "", "'＝cmd|' /C calc'!A0"]
    excel = get(kit, "/api/v1/records/s1/export", format="xlsx")
    assert sheet_rows(excel.content, "messages")[2][1:] == ["agent", "alice01", "您好"]
    assert ["service_ended_at", "2026-11-22 10:02:00"] in sheet_rows(excel.content, "conversation")
    hidden = kit.client.get("/api/v1/records/s1/export", headers=kit.as_("carol01"))
    assert hidden.status_code == 404


def test_statistics_to_excel_and_word(kit: Kit) -> None:
    kit.conversation("a1", rating=5)
    kit.conversation("b1", group="vip", agent="bob0001")
    excel = get(kit, "/api/v1/stats/export", by="agent")
    rows = sheet_rows(excel.content, "by agent")
    assert rows[0][:5] == ["account", "nickname", "staff_no", "conversations", "served"]
    assert [r[0] for r in rows[1:]] == ["alice01", "bob0001", "total"]
    assert rows[1][5] == 4.7  # reception minutes
    assert sheet_rows(excel.content, "range")[1][2] == "UTC"
    word = get(kit, "/api/v1/stats/export", by="group", format="docx")
    table = Document(io.BytesIO(word.content)).tables[0]
    assert [row.cells[0].text for row in table.rows] == ["group", "presales", "vip", "total"]


def test_an_image_reads_as_its_placeholder_in_transcripts_searches_and_exports(kit: Kit) -> None:
    """Written by the recorder, as the server writes it: an image frame has no text."""
    start = NOW - timedelta(days=1)
    url = "/api/v1/images/" + "x" * 43
    recorder = Recorder(kit.engine)
    recorder.started("s1", merchant="acme", site="acme-web", visitor="v1", flow="f", at=start)
    image = Frame(1, "message", {"from": "visitor", "image": url}, start.isoformat())
    reply = Frame(2, "message", {"from": "bot", "text": "ok"}, start.isoformat())
    recorder.frames("s1", [image, reply])
    line = f"[图片] {url}"
    transcript = get(kit, "/api/v1/records/s1/transcript", q="图片").json()
    assert transcript["messages"][0]["text"] == line
    assert (transcript["search"]["matches"], transcript["search"]["seq"]) == (1, 1)
    found = get(kit, "/api/v1/records", q="[图片]").json()["items"]
    assert [item["session_id"] for item in found] == ["s1"]
    excel = get(kit, "/api/v1/records/export", transcripts="true")
    assert sheet_rows(excel.content, "messages")[1][3:] == ["visitor", None, line]
    word = Document(io.BytesIO(get(kit, "/api/v1/records/s1/export").content))
    assert [c.text for c in word.tables[0].rows[1].cells][1:] == ["visitor", "", line]


def test_a_file_for_people_words_headings_and_values_in_zh_cn(kit: Kit) -> None:
    """``lang=zh-CN``: the same columns in the same order, worded as the console words them."""
    with Session(kit.engine) as db:  # the names the console shows, in place of the ids
        db.get_one(SiteRow, "acme-web").name = "官网"
        db.get_one(GroupRow, ("acme", "presales")).name = "售前咨询"
        db.commit()
    messages = [("visitor", "你好"), ("agent", "您好")]
    kit.conversation("s1", messages=messages, closed_by="client", end_reason="visitor")
    kit.conversation("left", status="queued", agent=None, days_ago=3)
    params = {"start": "2026-11-01", "end": "2026-11-22", "transcripts": "true", "lang": "zh-CN"}
    response = get(kit, "/api/v1/records/export", **params)
    assert response.headers["content-disposition"] == (
        'attachment; filename="records-20261101-20261122.xlsx"; '
        "filename*=UTF-8''%E6%9C%8D%E5%8A%A1%E8%AE%B0%E5%BD%95-20261101-20261122.xlsx"
    )
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == ["服务记录", "聊天记录"]
    records = sheet_rows(response.content, "服务记录")
    header = records[0]
    assert header[:4] == ["会话 ID", "站点", "访客 ID", "访客"]
    assert len(header) == len(routes_record_exports.RECORD_HEADERS)
    rows = {row[0]: dict(zip(header, row, strict=True)) for row in records[1:]}
    s1, left = rows["s1"], rows["left"]
    assert (s1["状态"], s1["结束方"], s1["结束原因"], s1["排队放弃"]) == (
        "已结束",
        "访客",
        "访客结束",
        "否",
    )
    assert (left["状态"], left["结束方"]) == ("排队中", None)
    assert (s1["站点"], s1["技能组"], s1["客服"], s1["接待客服"]) == (
        "官网",
        "售前咨询",
        "Alice",
        "Alice",
    )
    # a time is a time: Excel sorts, filters and subtracts it; shown in seed 000's format
    assert s1["开始时间"] == datetime(2026, 11, 22, 10, 0)
    book = load_workbook(io.BytesIO(response.content))
    assert book["服务记录"]["I2"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert book["服务记录"]["A1"].font.b and book["服务记录"].freeze_panes == "A2"
    lines = sheet_rows(response.content, "聊天记录")
    assert lines[0] == ["会话 ID", "序号", "时间", "发送方", "客服", "内容"]
    assert [line[3] for line in lines[1:]] == ["访客", "客服"]
    assert lines[2][4] == "Alice"


def test_a_file_for_people_in_english_and_a_bad_lang(kit: Kit) -> None:
    kit.conversation("s1")
    english = sheet_rows(get(kit, "/api/v1/records/export", lang="en").content, "Records")
    assert english[0][:3] == ["Session ID", "Site", "Visitor ID"]
    assert english[1][english[0].index("Left the queue")] == "No"
    bad = kit.client.get(
        "/api/v1/records/export", params={"lang": "fr"}, headers=kit.as_("admin01")
    )
    assert bad.status_code == 422


def test_one_conversation_for_people_in_word(kit: Kit) -> None:
    kit.conversation("s1", messages=[("visitor", "你好")])
    response = get(kit, "/api/v1/records/s1/export", lang="zh-CN")
    assert "filename*=UTF-8''%E4%BC%9A%E8%AF%9D-s1.docx" in response.headers["content-disposition"]
    document = Document(io.BytesIO(response.content))
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "会话 s1" and "会话详情" in texts and "会话 ID: s1" in texts
    assert "开始时间: 2026-11-22 10:00:00" in texts
    page = document.sections[0]
    assert (round(page.page_width.cm, 1), round(page.page_height.cm, 1)) == (29.7, 21.0)
    assert [c.text for c in document.tables[0].rows[0].cells] == ["时间", "发送方", "客服", "内容"]
    assert [c.text for c in document.tables[0].rows[1].cells][1:] == ["访客", "", "你好"]
    excel = get(kit, "/api/v1/records/s1/export", format="xlsx", lang="zh-CN")
    details = sheet_rows(excel.content, "会话详情")
    assert details[0] == ["字段", "内容"] and ["状态", "已结束"] in details


def test_statistics_for_people(kit: Kit) -> None:
    kit.conversation("a1", rating=5)
    excel = get(kit, "/api/v1/stats/export", by="agent", lang="zh-CN")
    rows = sheet_rows(excel.content, "按客服")
    assert rows[0][:5] == ["账号", "昵称", "工号", "会话数", "人工接待数"]
    assert rows[0][5] == "平均接待时长（分钟）" and rows[-1][0] == "合计"
    assert sheet_rows(excel.content, "统计区间")[0] == ["开始", "结束", "时区"]
    assert "filename*=UTF-8''" in excel.headers["content-disposition"]
    word = get(kit, "/api/v1/stats/export", by="group", format="docx", lang="en")
    document = Document(io.BytesIO(word.content))
    assert document.paragraphs[0].text == "Statistics by group"
    assert [row.cells[0].text for row in document.tables[0].rows][::2] == ["Group", "Total"]


def test_every_exported_column_has_words() -> None:
    """A column added to an export without a heading for people fails here, not in a file."""
    keys = {
        *routes_record_exports.RECORD_HEADERS,
        *routes_record_exports.MESSAGE_HEADERS,
        *routes_stats.STAT_HEADERS,
        "account", "nickname", "staff_no", "group", "name", "field", "value",
    }  # fmt: skip
    assert sorted(keys - set(TEXTS)) == []

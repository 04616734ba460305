"""How a conversation ended and the survey in its transcript, through the records routes: the
list's ``end_reason`` (its filter too), the transcript's survey line and the exports' words.
Records are written as the recorder writes them, and as older versions wrote them."""

from __future__ import annotations

import io
from datetime import timedelta

from docx import Document
from openpyxl import load_workbook
from records_kit import NOW, Kit, kit_fixture  # noqa: F401  (the fixture "kit")
from sqlmodel import Session

from chatflow.engine.stores.recordsdb import MessageRow

SCALE = {"style": "star", "levels": 5, "labels": ["很不满意", "不满意", "一般", "满意", "非常满意"]}
ZH_RATED = "【满意度评价 · 星级 1-5】请对本次服务进行评价。 → 评分：2/5（不满意）"


def items(kit: Kit, **params: object) -> dict[str, dict[str, object]]:
    response = kit.client.get("/api/v1/records", params=params, headers=kit.as_("admin01"))
    assert response.status_code == 200, response.text
    return {item["session_id"]: item for item in response.json()["items"]}


def rated_conversation(kit: Kit, session_id: str, rating: int | None) -> None:
    """Served by Alice, who ended it; then the survey, answered "2" when ``rating``."""
    start = NOW - timedelta(days=1)
    end = "flow" if rating else "idle"
    kit.conversation(session_id, rating=rating, end_reason=end, closed_by="seat",
                     service_ended_at=start + timedelta(minutes=3),
                     messages=[("visitor", "你好"), ("agent", "您好，请问有什么可以帮您？")])  # fmt: skip
    with Session(kit.engine) as db:
        db.add(
            MessageRow(session_id=session_id, merchant_id="acme", seq=3, sender="bot",
                       text="请对本次服务进行评价。", survey=SCALE, at=start + timedelta(minutes=3))
        )  # fmt: skip
        if rating:
            db.add(
                MessageRow(session_id=session_id, merchant_id="acme", seq=4, sender="visitor",
                           text="2", at=start + timedelta(minutes=4))
            )  # fmt: skip
        db.commit()


def test_an_agents_end_stays_the_end_reason_however_the_survey_after_it_ends(kit: Kit) -> None:
    """``old``: written before this version, the survey after Alice's end timed out (``idle``,
    ``seat``); it reads as ended by the agent with nothing rewritten. Idle timeouts that ended
    conversations themselves (the bot's, the service's) stay ``idle``."""
    kit.conversation("old", end_reason="idle", closed_by="seat")
    kit.conversation("goodbye", end_reason="flow", closed_by="seat")
    kit.conversation("bot-idle", group=None, agent=None, end_reason="idle")
    kit.conversation("service-idle", end_reason="idle", closed_by="timer")
    kit.conversation("left", end_reason="visitor", closed_by="client")
    kit.conversation("closed", end_reason="admin", closed_by="admin")
    kit.conversation("bot-done", group=None, agent=None, end_reason="flow")
    shown = {key: item["end_reason"] for key, item in items(kit).items()}
    assert shown == {
        "old": "agent",
        "goodbye": "agent",
        "bot-idle": "idle",
        "service-idle": "idle",
        "left": "visitor",
        "closed": "admin",
        "bot-done": "flow",
    }
    assert set(items(kit, end_reason="agent")) == {"old", "goodbye"}
    assert set(items(kit, end_reason="idle")) == {"bot-idle", "service-idle"}
    assert set(items(kit, end_reason=["visitor", "admin"])) == {"left", "closed"}
    assert set(items(kit, end_reason="agent", closed_by="seat")) == {"old", "goodbye"}
    one = kit.client.get("/api/v1/records/old", headers=kit.as_("admin01")).json()
    assert (one["end_reason"], one["closed_by"]) == ("agent", "seat")
    # the export the supervisor filters in Excel says the same
    params = {"end_reason": "agent", "lang": "zh-CN"}
    response = kit.client.get("/api/v1/records/export", params=params, headers=kit.as_("admin01"))
    assert response.status_code == 200, response.text
    rows = list(load_workbook(io.BytesIO(response.content), read_only=True)["服务记录"].values)
    header = list(rows[0])
    worded = {
        row[0]: (row[header.index("结束原因")], row[header.index("结束方")]) for row in rows[1:]
    }
    assert worded == {"old": ("客服结束", "客服"), "goodbye": ("客服结束", "客服")}


def test_the_transcript_shows_the_survey_and_the_rating_it_recorded(kit: Kit) -> None:
    rated_conversation(kit, "rated", 2)
    rated_conversation(kit, "unrated", None)
    headers = kit.as_("admin01")
    answer = kit.client.get("/api/v1/records/rated/transcript", headers=headers).json()
    lines = answer["messages"]
    assert [(m["sender"], m["text"]) for m in lines[2:]] == [
        ("bot", "请对本次服务进行评价。"),
        ("visitor", "2"),
    ]
    assert lines[2]["survey"] == {**SCALE, "rating": 2}
    assert lines[3]["survey"] is None and lines[0]["survey"] is None
    unrated = kit.client.get("/api/v1/records/unrated/transcript", headers=headers).json()
    assert unrated["messages"][2]["survey"] == {**SCALE, "rating": None}
    assert unrated["record"]["end_reason"] == "agent"
    # the search finds the question
    found = kit.client.get(
        "/api/v1/records/rated/transcript", params={"q": "评价"}, headers=headers
    )
    assert found.json()["search"]["seq"] == 3


def test_the_exports_word_the_survey_in_the_readers_language(kit: Kit) -> None:
    rated_conversation(kit, "rated", 2)
    rated_conversation(kit, "unrated", None)
    headers = kit.as_("admin01")

    def export(path: str, **params: str) -> bytes:
        response = kit.client.get(path, params=params, headers=headers)
        assert response.status_code == 200, response.text
        content: bytes = response.content
        return content

    word = Document(io.BytesIO(export("/api/v1/records/rated/export", lang="zh-CN")))
    texts = [row.cells[-1].text for row in word.tables[0].rows]
    assert texts[-2:] == [ZH_RATED, "2"]
    book = load_workbook(io.BytesIO(export("/api/v1/records/unrated/export", format="xlsx",
                                           lang="en")), read_only=True)  # fmt: skip
    texts = [row[-1] for row in book["Messages"].values]
    assert texts[-1] == "[Satisfaction survey · stars 1-5] 请对本次服务进行评价。 → Not rated"
    every = export("/api/v1/records/export", transcripts="true", lang="zh-CN")
    messages = list(load_workbook(io.BytesIO(every), read_only=True)["聊天记录"].values)
    by_session = {(row[0], row[1]): row[-1] for row in messages[1:]}
    assert by_session[("rated", 3)] == ZH_RATED
    assert by_session[("unrated", 3)] == "【满意度评价 · 星级 1-5】请对本次服务进行评价。 → 未评价"
    # for a program: the line is the prompt, as the API's text
    plain = export("/api/v1/records/export", transcripts="true")
    rows = list(load_workbook(io.BytesIO(plain), read_only=True)["messages"].values)
    assert ("rated", 3, "请对本次服务进行评价。") in {(r[0], r[1], r[-1]) for r in rows}

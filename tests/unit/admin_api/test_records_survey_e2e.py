"""The agent ends the service, the flow asks for a rating, and the record tells it: the real
runtime (memory session store), queue, record writer and recorder on SQLite, on a frozen clock,
read back the way the records routes and their exports read it. Only the visitor's and the
agent's actions are called by hand, as the channel and the workbench would.

An agent's end stays "ended by the agent" whether or not the survey after it is answered, and
the transcript holds the survey's invitation before the visitor's bare "2".
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from records_desk_kit import T0, Desk, agent, open_desk
from sqlmodel import Session as Db

from chatflow.admin_api.export_texts import Lang, Wording
from chatflow.admin_api.exports import format_time
from chatflow.admin_api.recordquery import page_records, shown_end_reason
from chatflow.admin_api.routes_record_exports import transcript_cells
from chatflow.admin_api.routes_records import TranscriptOut, read_transcript, transcript_out
from chatflow.engine.config import Group
from chatflow.engine.events import VisitorText

pytestmark = pytest.mark.anyio

FLOW = """\
id: rated
start: to_agent
settings:
  idle_timeout: 60
  idle_message: 由于您长时间未回复，本次服务已自动结束。
nodes:
  to_agent: {type: transfer, group: presales, next: survey}
  survey:
    type: survey
    style: star
    levels: 5
    labels: [很不满意, 不满意, 一般, 满意, 非常满意]
    prompt: 请对本次服务进行评价。
    next: bye
  bye: {type: end, message: 再见！}
"""


class SurveyDesk(Desk):
    async def served_and_ended_by_the_agent(self, session_id: str) -> None:
        """The visitor is served for a minute; Alice ends the service (结束服务)."""
        await self.start(session_id)
        await self.queue.accept("alice01", session_id)
        await self.later(60)
        await self.queue.end(session_id, "alice01")
        await self.settle()

    def transcript(self, session_id: str) -> TranscriptOut:
        return transcript_out(read_transcript(self.services.records, session_id, []), None, 1)

    def exported_lines(self, session_id: str, lang: Lang | None) -> list[object]:
        """The text column of the conversation's export in ``lang`` (None: for a program)."""
        record, lines, _visit = read_transcript(self.services.records, session_id, [])
        cells = transcript_cells(record, lines, Wording(lang), ZoneInfo("UTC"), format_time)
        return [line[-1] for line in cells]

    def ids_ending(self, reason: str) -> list[str]:
        """The records the list's ``end_reason`` filter finds."""
        with Db(self.services.records) as db:
            found = page_records(db, [shown_end_reason() == reason], limit=50, offset=0)
        return [record.session_id for record in found]


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[SurveyDesk]:
    """Acme's presales group with alice01, logged in."""
    agents = [agent("alice01", "presales", "Alice")]
    async with open_desk(tmp_path, FLOW, [Group(id="presales")], agents, ["alice01"]) as opened:
        yield SurveyDesk(opened.services, opened.clock, opened.site, opened.version)


async def test_the_agent_ends_and_nobody_answers_the_survey(desk: SurveyDesk) -> None:
    """The QA finding: 结束方 客服 but 结束原因 超时未回复. The conversation ended the way its
    service did: the agent ended it; a supervisor looking for visitors left waiting (``idle``)
    does not get it, one looking for conversations agents ended does."""
    await desk.served_and_ended_by_the_agent("s1")
    assert desk.record("s1").status == "bot"  # the flow holds it again: the survey waits
    await desk.later(61)  # the visitor never answers the survey: the idle timeout ends it
    row = desk.record("s1")
    # the record keeps what happened, as the runtime said it (nothing is lost)...
    assert (row.status, row.end_reason, row.closed_by, row.rating) == (
        "ended",
        "idle",
        "seat",
        None,
    )
    assert row.service_ended_at == T0 + timedelta(seconds=60)
    assert row.ended_at == T0 + timedelta(seconds=121)
    # ...and every reader says how the conversation ended: by the agent
    transcript = desk.transcript("s1")
    assert (transcript.record.end_reason, transcript.record.closed_by) == ("agent", "seat")
    assert desk.ids_ending("agent") == ["s1"]
    assert desk.ids_ending("idle") == []
    # the transcript shows the question nobody answered, and says so once it ended
    surveys = [m for m in transcript.messages if m.survey is not None]
    assert [(m.sender, m.text) for m in surveys] == [("bot", "请对本次服务进行评价。")]
    assert surveys[0].survey is not None
    assert (surveys[0].survey.style, surveys[0].survey.levels) == ("star", 5)
    assert surveys[0].survey.rating is None
    assert "【满意度评价 · 星级 1-5】请对本次服务进行评价。 → 未评价" in desk.exported_lines(
        "s1", "zh-CN"
    )


async def test_the_agent_ends_and_the_visitor_rates(desk: SurveyDesk) -> None:
    """The visitor's "2" comes after the survey's invitation, which says what it recorded."""
    await desk.served_and_ended_by_the_agent("s1")
    await desk.later(5)
    await desk.services.runtime.apply("s1", VisitorText("r1", "2"))
    await desk.settle()
    row = desk.record("s1")
    assert (row.status, row.end_reason, row.closed_by, row.rating) == ("ended", "flow", "seat", 2)
    transcript = desk.transcript("s1")
    assert transcript.record.end_reason == "agent"  # the flow's goodbye did not end it
    said = [(m.sender, m.text) for m in transcript.messages]
    asked = said.index(("bot", "请对本次服务进行评价。"))
    assert said[asked + 1] == ("visitor", "2")
    survey = transcript.messages[asked].survey
    assert survey is not None and survey.rating == 2
    assert survey.labels[survey.rating - 1] == "不满意"
    zh = "【满意度评价 · 星级 1-5】请对本次服务进行评价。 → 评分：2/5（不满意）"
    en = "[Satisfaction survey · stars 1-5] 请对本次服务进行评价。 → Rating: 2 of 5 (不满意)"
    assert zh in desk.exported_lines("s1", "zh-CN")
    assert en in desk.exported_lines("s1", "en")
    # for a program the line stays the prompt, the API's text
    assert "请对本次服务进行评价。" in desk.exported_lines("s1", None)

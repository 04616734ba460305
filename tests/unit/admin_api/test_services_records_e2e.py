"""Whole conversations through ``Services`` into the records: the real runtime (memory session
store), queue, record writer and recorder on SQLite, on a frozen clock. Only the visitor's and
the agents' actions are called by hand, as the channel and the workbench would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from records_desk_kit import T0, Desk, agent, open_desk

from chatflow.engine.config import Group
from chatflow.engine.events import AgentMessage, Choice, VisitorEnded, VisitorText
from chatflow.engine.stats import StatsBuilder, queue_wait_micros, reception_micros

pytestmark = pytest.mark.anyio

FLOW = """\
id: two_desks
start: to_presales
settings:
  idle_timeout: 60
  idle_message: 由于您长时间未回复，本次服务已自动结束。
nodes:
  to_presales: {type: transfer, group: presales, next: more}
  more:
    type: menu
    prompt: 还需要转售后吗？
    options:
      - {label: 要, next: to_aftersales}
      - {label: 不要, next: bye}
  to_aftersales: {type: transfer, group: aftersales, next: more}
  bye: {type: end, message: 再见！}
"""


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    """Acme with presales (alice01) and aftersales (bob0001, auto-accept), both logged in."""
    groups = [Group(id="presales"), Group(id="aftersales", auto_accept=True)]
    agents = [agent("alice01", "presales"), agent("bob0001", "aftersales")]
    async with open_desk(tmp_path, FLOW, groups, agents, ["alice01", "bob0001"]) as opened:
        yield opened


async def test_a_second_transfer_node_then_the_idle_timeout(desk: Desk) -> None:
    """Alice serves, the flow asks and goes on to a second transfer node, Bob serves, and the
    visitor never answers the question after Bob's service: the idle timeout ends it."""
    await desk.start("s1")
    await desk.later(10)
    await desk.queue.accept("alice01", "s1")
    await desk.later(60)
    await desk.queue.end("s1", "alice01")
    await desk.settle()
    await desk.later(20)
    await desk.services.runtime.apply("s1", Choice(key="c1", value="要"))  # to aftersales
    await desk.settle()
    await desk.later(90)  # Bob serves 90 s (aftersales auto-accepts), silent: no idle clock
    row = desk.record("s1")
    assert (row.status, row.group_id, row.agent_account) == ("with_agent", "aftersales", "bob0001")
    await desk.queue.end("s1", "bob0001")
    await desk.settle()
    await desk.later(61)  # the visitor does not answer "还需要转售后吗？"
    row = desk.record("s1")
    assert (row.status, row.end_reason) == ("ended", "idle")
    assert (row.group_id, row.agent_account, row.agents) == (
        "aftersales",
        "bob0001",
        ["alice01", "bob0001"],
    )
    assert (row.queued_at, row.agent_joined_at) == (T0, T0 + timedelta(seconds=10))
    assert queue_wait_micros(row) == 10_000_000
    assert reception_micros(row) == 150_000_000  # 60 s + 90 s, not the 20 s in between
    # Bob ended the human service; the idle timeout only ended the bot's part after it
    assert (row.closed_by, row.service_ended_at) == ("seat", T0 + timedelta(seconds=180))
    assert row.abandoned is False


async def test_transferred_then_left_the_new_queue(desk: Desk) -> None:
    await desk.services.queue.logout("bob0001")  # nobody in aftersales
    await desk.start("s1")
    await desk.later(10)
    await desk.queue.accept("alice01", "s1")
    await desk.later(60)
    await desk.queue.transfer("s1", to_group="aftersales")
    await desk.settle()
    await desk.later(300)
    await desk.services.runtime.apply("s1", VisitorEnded(key="bye"))
    await desk.settle()
    row = desk.record("s1")
    assert (row.status, row.group_id, row.end_reason, row.closed_by) == (
        "ended",
        "aftersales",
        "visitor",
        None,
    )
    assert row.abandoned is False and reception_micros(row) == 60_000_000
    figures = StatsBuilder().extend([row]).by_group()["aftersales"]
    assert (figures.conversations, figures.served, figures.abandoned) == (1, 1, 0)
    assert figures.reception_minutes == 1


async def test_the_visitor_leaving_during_the_service_is_closed_by_the_client(desk: Desk) -> None:
    await desk.start("s1")
    await desk.queue.accept("alice01", "s1")
    await desk.later(45)
    await desk.services.runtime.apply("s1", VisitorEnded(key="bye"))
    await desk.settle()
    row = desk.record("s1")
    assert (row.end_reason, row.closed_by, row.abandoned) == ("visitor", "client", False)
    assert reception_micros(row) == 45_000_000


async def test_the_visitor_not_answering_the_agent_is_closed_by_the_timer(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service idle timeout (seed TCCC 用户应答超时): the agent's last message restarts it,
    the visitor's reply stops it; when it fires the queue tells the agent ``closed_by: timer``
    and the record says so."""
    sent: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(desk.services.hub, "send", lambda agent, f: sent.append((agent, f)))
    runtime = desk.services.runtime
    await desk.start("s1")
    await desk.queue.accept("alice01", "s1")
    await desk.later(30)  # no agent message yet: no idle clock
    await runtime.apply("s1", AgentMessage("m1", "alice01", "请问有什么可以帮您？"))
    await desk.later(50)
    await runtime.apply("s1", VisitorText("v1", "我想问一下价格"))
    await desk.later(100)  # the visitor answered: nothing runs until Alice speaks again
    await runtime.apply("s1", AgentMessage("m2", "alice01", "您需要哪一款？"))
    await desk.later(59)
    assert desk.record("s1").status == "with_agent"
    await desk.later(1)
    row = desk.record("s1")
    assert (row.status, row.end_reason, row.closed_by) == ("ended", "idle", "timer")
    assert (row.agent_account, row.abandoned) == ("alice01", False)
    assert row.service_ended_at == T0 + timedelta(seconds=240)
    assert reception_micros(row) == 240_000_000
    ended = {"type": "session_ended", "session_id": "s1", "closed_by": "timer"}
    assert ("alice01", ended) in sent
    assert desk.queue.dispatcher.session("s1") is None
    frames = await runtime.outputs("s1")
    assert (frames[-2].sender, frames[-2].text) == (
        "system",
        "由于您长时间未回复，本次服务已自动结束。",
    )
    assert (frames[-1].type, frames[-1].body) == ("ended", {"reason": "idle"})

"""Whole conversations through ``Services`` into the records: the real runtime (memory session
store), queue, record writer and recorder on SQLite, on a frozen clock. Only the visitor's and
the agents' actions are called by hand, as the channel and the workbench would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session as Db

from chatflow.admin_api.services import Services
from chatflow.channels.web import SiteInfo, start_on_site
from chatflow.engine.clock import FrozenClock
from chatflow.engine.config import Agent, DeploymentConfig, Group
from chatflow.engine.events import AgentMessage, Choice, VisitorEnded, VisitorText
from chatflow.engine.stats import StatsBuilder, queue_wait_micros, reception_micros
from chatflow.engine.stores.memory import MemoryStore
from chatflow.engine.stores.recordsdb import ConversationRow, create_tables, records_engine

pytestmark = pytest.mark.anyio

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
SITE = SiteInfo(merchant="acme", key="acme-web", name="Acme", flow_id="two_desks", enabled=True)
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


class Desk:
    """The services, the session's id and helpers to let time pass and read the record."""

    def __init__(self, services: Services, clock: FrozenClock, version: str) -> None:
        self.services = services
        self.queue = services.queue
        self.clock = clock
        self.version = version

    async def start(self, session_id: str) -> None:
        await start_on_site(
            self.services,
            self.services.runtime,
            SITE,
            self.version,
            session_id=session_id,
            visitor_id="v1",
            channel_id="web",
        )
        await self.settle()

    async def settle(self) -> None:
        """Let the effects run and the record writer write what they caused."""
        await self.services.runtime.drain()
        await self.services.writer.flush()

    async def later(self, seconds: float) -> None:
        """Time passes; the timers due by then fire."""
        self.clock.advance(seconds)
        await self.services.runtime.fire_due_timers()
        await self.settle()

    def record(self, session_id: str) -> ConversationRow:
        with Db(self.services.records) as db:
            row = db.get(ConversationRow, session_id)
        assert row is not None
        return row


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    """Acme with presales (alice01) and aftersales (bob0001, auto-accept), both logged in."""
    records = records_engine(f"sqlite:///{tmp_path / 'records.db'}")
    create_tables(records)
    clock = FrozenClock(T0)
    services = Services(DeploymentConfig(), records, MemoryStore(), clock)
    services.writer.start()
    _flow, version = await services.runtime.publish(FLOW)
    await services.queue.configure_group("acme", Group(id="presales"))
    await services.queue.configure_group("acme", Group(id="aftersales", auto_accept=True))
    for account, group in (("alice01", "presales"), ("bob0001", "aftersales")):
        agent = Agent(
            account=account, password_hash="x", nickname=account, staff_no="1", groups={group: 1}
        )
        await services.queue.register_agent("acme", agent)
        await services.queue.login(account)
    try:
        yield Desk(services, clock, version)
    finally:
        await services.aclose()
        records.dispose()


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

"""A transfer that gives up (nobody of the group online, or its queue timeout) and the flow goes
on: through ``Services`` into the records, with the real runtime, queue, record writer and
recorder on SQLite, on a frozen clock. The record is the bot's again at once, counted as having
left the queue unserved (docs/records-and-stats.md), and the visitor is not told to wait first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session as Db

from chatflow.admin_api.services import Services
from chatflow.channels.web import SiteInfo, start_on_site
from chatflow.engine.clock import FrozenClock
from chatflow.engine.config import Agent, DeploymentConfig, Group
from chatflow.engine.events import VisitorEnded, VisitorText
from chatflow.engine.stats import StatsBuilder, left_unserved, queue_wait_micros
from chatflow.engine.stores.memory import MemoryStore
from chatflow.engine.stores.recordsdb import ConversationRow, create_tables, records_engine

pytestmark = pytest.mark.anyio

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
SITE = SiteInfo(merchant="acme", key="acme-web", name="Acme", flow_id="nobody", enabled=True)
FLOW = """\
id: nobody
start: to_presales
nodes:
  to_presales:
    type: transfer
    group: presales
    timeout: 120
    on_timeout: phone
    on_no_agents: phone
    next: bye
  phone:
    type: form
    prompt: 请留下您的电话，我们稍后联系您。
    var: phone
    next: again
  again: {type: transfer, group: presales, next: bye}
  bye: {type: end, message: 再见！}
"""


class Desk:
    def __init__(self, services: Services, clock: FrozenClock, version: str) -> None:
        self.services = services
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
        await self.services.runtime.drain()
        await self.services.writer.flush()

    async def later(self, seconds: float) -> None:
        self.clock.advance(seconds)
        await self.services.runtime.fire_due_timers()
        await self.settle()

    async def say(self, session_id: str, key: str, text: str) -> None:
        await self.services.runtime.apply(session_id, VisitorText(key, text))
        await self.settle()

    def record(self, session_id: str) -> ConversationRow:
        with Db(self.services.records) as db:
            row = db.get(ConversationRow, session_id)
        assert row is not None
        return row

    async def texts(self, session_id: str) -> list[str]:
        frames = await self.services.runtime.outputs(session_id)
        return [frame.text for frame in frames if frame.type == "message"]


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    """Acme's presales group with one agent, alice01, not logged in."""
    records = records_engine(f"sqlite:///{tmp_path / 'records.db'}")
    create_tables(records)
    clock = FrozenClock(T0)
    services = Services(DeploymentConfig(), records, MemoryStore(), clock)
    services.writer.start()
    _flow, version = await services.runtime.publish(FLOW)
    await services.queue.configure_group("acme", Group(id="presales"))
    agent = Agent(
        account="alice01", password_hash="x", nickname="Alice", staff_no="1", groups={"presales": 1}
    )
    await services.queue.register_agent("acme", agent)
    try:
        yield Desk(services, clock, version)
    finally:
        await services.aclose()
        records.dispose()


async def test_nobody_online_the_record_is_the_bots_again(desk: Desk) -> None:
    await desk.start("s1")
    row = desk.record("s1")
    assert (row.status, row.group_id, row.queued_at) == ("bot", "presales", T0)
    assert left_unserved(row) and row.queue_left_at == T0
    assert queue_wait_micros(row) == 0
    assert await desk.texts("s1") == ["请留下您的电话，我们稍后联系您。"]  # no "0 位访客" first
    assert desk.services.queue.dispatcher.session("s1") is None
    await desk.later(200)  # the visitor takes a while with the form: not queue wait
    await desk.say("s1", "p", "13800000000")  # the second transfer: nobody again, it waits
    row = desk.record("s1")
    assert (row.status, row.abandoned) == ("queued", False)
    await desk.later(30)
    await desk.services.runtime.apply("s1", VisitorEnded(key="bye"))
    await desk.settle()
    row = desk.record("s1")
    assert (row.status, row.end_reason) == ("ended", "visitor")
    assert left_unserved(row) and row.queue_left_at == T0 + timedelta(seconds=230)
    figures = StatsBuilder().extend([row]).by_group()["presales"]
    assert (figures.conversations, figures.served, figures.abandoned) == (1, 0, 1)


async def test_the_queue_timeout_the_record_is_the_bots_again(desk: Desk) -> None:
    await desk.services.queue.login("alice01")
    await desk.services.queue.set_status("alice01", "rest")  # online, not taking visitors
    await desk.start("s1")
    assert desk.record("s1").status == "queued"
    assert await desk.texts("s1") == ["您前面还有 0 位访客，请耐心等待。"]
    await desk.later(120)
    row = desk.record("s1")
    assert (row.status, row.queue_left_at) == ("bot", T0 + timedelta(seconds=120))
    await desk.later(300)
    await desk.services.runtime.apply("s1", VisitorEnded(key="bye"))
    await desk.settle()
    row = desk.record("s1")
    assert left_unserved(row) and queue_wait_micros(row) == 120_000_000

"""The record taps of ``services``: what the real queue's transfers leave in the records.

A real dispatcher and queue service, the taps of ``Services``, a twin of the record writer that
keeps the calls in order, and the real recorder on SQLite applying them as the writer does.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

import pytest
from sqlalchemy import Engine
from sqlmodel import Session as Db

from chatflow.admin_api.services import QueueRecorder, RecordingHandoff, RecordWriter
from chatflow.engine.clock import FrozenClock
from chatflow.engine.config import Agent, Group
from chatflow.engine.events import Event
from chatflow.engine.frames import Frame
from chatflow.engine.records import Recorder
from chatflow.engine.routing import QueueService, UnknownGroup
from chatflow.engine.stats import StatsBuilder, queue_wait_micros, reception_micros
from chatflow.engine.stores.recordsdb import ConversationRow, create_tables, records_engine

pytestmark = pytest.mark.anyio

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


class Writer:
    """``RecordWriter``'s twin: the calls, in the order the writer would apply them."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def put(self, method: str, *args: Any, **kwargs: Any) -> None:
        self.calls.append((method, args, kwargs))


class QuietRuntime:
    """The queue's event sink: the flow's part is not under test."""

    async def deliver(self, session_id: str, event: Event) -> None:
        """Nothing to apply."""


class Notifier:
    async def notify(self, agent_id: str, frame: dict[str, Any]) -> None:
        """Nobody's workbench is open."""


@pytest.fixture
def engine() -> Iterator[Engine]:
    eng = records_engine("sqlite://")
    create_tables(eng)
    yield eng
    eng.dispose()


async def desk(writer: Writer, clock: FrozenClock) -> tuple[QueueService, RecordingHandoff]:
    """Groups presales and vip (auto-accept), alice01 in presales, bob0001 in vip."""
    records = cast(RecordWriter, writer)
    queue = QueueService(
        QuietRuntime(), Notifier(), clock, observers=[QueueRecorder(records, clock)]
    )
    await queue.configure_group("acme", Group(id="presales"))
    await queue.configure_group("acme", Group(id="vip", auto_accept=True))
    for account, group in (("alice01", "presales"), ("bob0001", "vip")):
        agent = Agent(
            account=account, password_hash="x", nickname=account, staff_no="1", groups={group: 1}
        )
        await queue.register_agent("acme", agent)
    return queue, RecordingHandoff(queue, records, clock)


def record(engine: Engine, writer: Writer) -> ConversationRow:
    """The record after the calls not written yet (each call is written once, as the writer does)."""
    recorder = Recorder(engine)
    recorder.started("s1", merchant="acme", site="acme-web", visitor="v1", flow="f", at=T0)
    recorder.run_batch(writer.calls)
    writer.calls.clear()
    with Db(engine) as db:
        row = db.get(ConversationRow, "s1")
    assert row is not None
    return row


async def test_a_conversation_transferred_to_another_group_is_recorded_there(
    engine: Engine,
) -> None:
    clock, writer = FrozenClock(T0), Writer()
    queue, handoff = await desk(writer, clock)
    await queue.login("alice01")
    await queue.login("bob0001")
    await handoff.enqueue("s1", "acme", "presales", 0)
    clock.advance(10)
    await queue.accept("alice01", "s1")
    clock.advance(60)
    await queue.transfer("s1", to_group="vip")  # bob is auto-assigned within the transfer
    row = record(engine, writer)
    assert (row.group_id, row.status, row.agent_account) == ("vip", "with_agent", "bob0001")
    assert row.agents == ["alice01", "bob0001"]
    assert (row.queued_at, row.agent_joined_at) == (T0, T0 + timedelta(seconds=10))
    by_group = StatsBuilder().extend([row]).by_group()
    assert list(by_group) == ["vip"] and by_group["vip"].conversations == 1


async def test_a_transfer_to_an_agent_keeps_the_group(engine: Engine) -> None:
    clock, writer = FrozenClock(T0), Writer()
    queue, handoff = await desk(writer, clock)
    await queue.login("alice01")
    await queue.login("bob0001")
    await handoff.enqueue("s1", "acme", "presales", 0)
    await queue.accept("alice01", "s1")
    clock.advance(60)
    await queue.transfer("s1", to_agent="bob0001")  # rings bob; the dispatcher keeps presales
    row = record(engine, writer)
    assert (row.group_id, row.status, row.agent_account) == ("presales", "queued", "alice01")
    assert reception_micros(row) == 60_000_000  # alice's service ended at the transfer
    clock.advance(30)
    await queue.accept("bob0001", "s1")
    clock.advance(60)
    await queue.end("s1", "bob0001")
    row = record(engine, writer)
    assert (row.group_id, row.agent_account, row.closed_by) == ("presales", "bob0001", "seat")
    assert reception_micros(row) == 120_000_000  # not the 30 s bob's phone rang


async def test_a_refused_transfer_records_nothing(engine: Engine) -> None:
    clock, writer = FrozenClock(T0), Writer()
    queue, handoff = await desk(writer, clock)
    await handoff.enqueue("s1", "acme", "presales", 0)
    with pytest.raises(UnknownGroup):
        await queue.transfer("s1", to_group="nowhere")
    row = record(engine, writer)
    assert (row.group_id, row.status) == ("presales", "queued")


async def test_a_flows_second_transfer_node_keeps_the_first_queueing(engine: Engine) -> None:
    """Alice's service ends and the flow reaches another transfer node (to vip): the record
    moves to vip but keeps its first queueing, so the wait is Alice's 10 s, not below zero."""
    clock, writer = FrozenClock(T0), Writer()
    queue, handoff = await desk(writer, clock)
    await queue.login("alice01")
    await handoff.enqueue("s1", "acme", "presales", 0)
    clock.advance(10)
    await queue.accept("alice01", "s1")
    clock.advance(60)
    await queue.end("s1", "alice01")
    clock.advance(30)
    await handoff.enqueue("s1", "acme", "vip", 0)  # the flow's second transfer node
    clock.advance(45)
    await queue.login("bob0001")  # vip auto-accepts: bob has it at once
    clock.advance(90)
    await queue.end("s1", "bob0001")
    row = record(engine, writer)
    assert (row.group_id, row.agent_account, row.agents) == (
        "vip",
        "bob0001",
        ["alice01", "bob0001"],
    )
    assert (row.queued_at, row.agent_joined_at) == (T0, T0 + timedelta(seconds=10))
    assert queue_wait_micros(row) == 10_000_000
    assert reception_micros(row) == 150_000_000  # 60 s + 90 s; the 75 s between are not service
    assert row.service_ended_at == T0 + timedelta(seconds=235)


async def test_reception_leaves_out_the_wait_in_the_new_groups_queue(engine: Engine) -> None:
    clock, writer = FrozenClock(T0), Writer()
    queue, handoff = await desk(writer, clock)
    await queue.login("alice01")
    await handoff.enqueue("s1", "acme", "presales", 0)
    clock.advance(10)
    await queue.accept("alice01", "s1")
    clock.advance(60)
    await queue.transfer("s1", to_group="vip")  # nobody of vip is online yet
    clock.advance(120)
    await queue.login("bob0001")
    clock.advance(30)
    await queue.end("s1", "bob0001")
    row = record(engine, writer)
    assert (row.group_id, row.agent_account, row.closed_by) == ("vip", "bob0001", "seat")
    assert reception_micros(row) == 90_000_000  # 60 s with alice, 30 s with bob
    figures = StatsBuilder().extend([row]).total()
    assert (figures.reception_minutes, figures.queue_wait_seconds) == (Decimal("1.5"), 10)


async def test_a_served_visitor_who_leaves_the_new_queue_is_served_not_abandoned(
    engine: Engine,
) -> None:
    clock, writer = FrozenClock(T0), Writer()
    queue, handoff = await desk(writer, clock)
    await queue.login("alice01")
    await handoff.enqueue("s1", "acme", "presales", 0)
    clock.advance(10)
    await queue.accept("alice01", "s1")
    clock.advance(60)
    await queue.transfer("s1", to_group="vip")
    clock.advance(300)
    writer.put("frames", "s1", [Frame(9, "ended", {"reason": "visitor"}, clock.now().isoformat())])
    await handoff.leave("s1", "visitor")  # tired of waiting: the visitor closes the chat
    row = record(engine, writer)
    assert (row.status, row.group_id, row.end_reason) == ("ended", "vip", "visitor")
    assert (row.abandoned, row.closed_by) == (False, None)  # nobody served it when it ended
    assert reception_micros(row) == 60_000_000
    figures = StatsBuilder().extend([row]).by_group()["vip"]
    assert (figures.served, figures.abandoned) == (1, 0)


async def test_a_service_the_idle_timeout_ends_is_closed_by_the_timer(engine: Engine) -> None:
    """How the runtime reports a service it ended by its idle timeout: ``closed_by: timer``
    (test_services_records_e2e has the runtime's own idle timeout doing it)."""
    clock, writer = FrozenClock(T0), Writer()
    queue, handoff = await desk(writer, clock)
    await queue.login("alice01")
    await handoff.enqueue("s1", "acme", "presales", 0)
    await queue.accept("alice01", "s1")
    clock.advance(60)
    await handoff.leave("s1", "idle")
    row = record(engine, writer)
    assert (row.closed_by, row.service_ended_at) == ("timer", T0 + timedelta(seconds=60))
    assert reception_micros(row) == 60_000_000

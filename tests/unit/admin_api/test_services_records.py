"""The record taps of ``services``: what the real queue's transfers leave in the records.

A real dispatcher and queue service, the taps of ``Services``, a twin of the record writer that
keeps the calls in order, and the real recorder on SQLite applying them as the writer does.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from chatflow.admin_api.services import (
    RecordingHandoff,
    RecordingSink,
    RecordWriter,
    TransferRecorder,
)
from chatflow.engine.clock import FrozenClock
from chatflow.engine.config import Agent, Group
from chatflow.engine.events import Event
from chatflow.engine.records import Recorder
from chatflow.engine.routing import QueueService, UnknownGroup
from chatflow.engine.runtime import Runtime
from chatflow.engine.stats import StatsBuilder
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
    async def deliver(self, session_id: str, event: Event) -> None:
        """The flow's part is not under test."""


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
    runtime = cast(Runtime, QuietRuntime())
    sink = RecordingSink(runtime, records, clock)
    queue = QueueService(sink, Notifier(), clock, observers=[TransferRecorder(records)])
    await queue.configure_group("acme", Group(id="presales"))
    await queue.configure_group("acme", Group(id="vip", auto_accept=True))
    for account, group in (("alice01", "presales"), ("bob0001", "vip")):
        agent = Agent(
            account=account, password_hash="x", nickname=account, staff_no="1", groups={group: 1}
        )
        queue.register_agent("acme", agent)
    return queue, RecordingHandoff(queue, records, clock, runtime)


def record(engine: Engine, writer: Writer) -> ConversationRow:
    recorder = Recorder(engine)
    recorder.started("s1", merchant="acme", site="acme-web", visitor="v1", flow="f", at=T0)
    recorder.run_batch(writer.calls)
    with Session(engine) as db:
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
    await queue.transfer("s1", to_agent="bob0001")  # rings bob; the dispatcher keeps presales
    row = record(engine, writer)
    assert (row.group_id, row.status, row.agent_account) == ("presales", "with_agent", "alice01")
    assert all(method != "transferred" for method, _, _ in writer.calls)


async def test_a_refused_transfer_records_nothing(engine: Engine) -> None:
    clock, writer = FrozenClock(T0), Writer()
    queue, handoff = await desk(writer, clock)
    await handoff.enqueue("s1", "acme", "presales", 0)
    with pytest.raises(UnknownGroup):
        await queue.transfer("s1", to_group="nowhere")
    row = record(engine, writer)
    assert (row.group_id, row.status) == ("presales", "queued")

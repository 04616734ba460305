"""QueueService: decisions become session events and agent frames, in order, exactly once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from chatflow.engine.clock import FrozenClock
from chatflow.engine.config import Agent, DeploymentConfig, Group, Merchant
from chatflow.engine.effects import EndReason
from chatflow.engine.events import (
    AgentEnded,
    AgentJoined,
    AgentTransferred,
    Event,
    NoAgents,
    QueuePosition,
)
from chatflow.engine.handoff import Handoff, QueueHold
from chatflow.engine.routing import NotOffered, QueueService, UnknownGroup

pytestmark = pytest.mark.anyio


class MemorySink:
    """The runtime's twin: records events per session, ignoring keys it has seen."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Event]] = []
        self.keys: set[str] = set()
        self.on_deliver: Any = None

    async def deliver(self, session_id: str, event: Event) -> None:
        if event.key in self.keys:
            return
        self.keys.add(event.key)
        self.events.append((session_id, event))
        if self.on_deliver is not None:
            await self.on_deliver(session_id, event)

    def of(self, session_id: str) -> list[Event]:
        return [e for sid, e in self.events if sid == session_id]


class MemoryNotifier:
    """The agent websocket's twin: records frames per agent."""

    def __init__(self) -> None:
        self.frames: list[tuple[str, dict[str, Any]]] = []

    async def notify(self, agent_id: str, frame: dict[str, Any]) -> None:
        self.frames.append((agent_id, frame))

    def of(self, agent_id: str) -> list[dict[str, Any]]:
        return [f for aid, f in self.frames if aid == agent_id]


def config(**group: Any) -> DeploymentConfig:
    agents = [
        Agent(
            account=f"agent_{n}",
            password_env="PW",
            nickname=name,
            staff_no=no,
            groups={"presales": 3},
        )
        for n, name, no in (("alice", "Alice", "1001"), ("bob01", "Bob", "1002"))
    ]
    merchant = Merchant(id="acme", groups=[Group(id="presales", **group)], agents=agents)
    return DeploymentConfig(merchants=[merchant])


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock("2026-11-23T10:00:00+08:00")


@pytest.fixture
async def parts(
    clock: FrozenClock,
) -> tuple[QueueService, MemorySink, MemoryNotifier]:
    sink, notifier = MemorySink(), MemoryNotifier()
    service = QueueService(sink, notifier, clock)
    await service.configure(config())
    return service, sink, notifier


async def test_it_is_the_runtimes_handoff(
    parts: tuple[QueueService, MemorySink, MemoryNotifier],
) -> None:
    service: Handoff = parts[0]
    await service.enqueue("s", "acme", "presales", 0)
    await service.leave("s")


@pytest.mark.parametrize(
    ("reason", "closed_by"),
    [(None, "client"), ("visitor", "client"), ("idle", "timer"), ("admin", "admin")],
)
async def test_a_session_that_ends_during_its_service_tells_its_agents_who_closed_it(
    parts: tuple[QueueService, MemorySink, MemoryNotifier],
    reason: EndReason | None,
    closed_by: str,
) -> None:
    """The runtime says why the session ended (seed TCCC ``closeBy``); the session itself hears
    nothing back. What the visitor and the agents say travels in the session's output log."""
    service, sink, notifier = parts
    await service.login("agent_alice")
    await service.enqueue("s1", "acme", "presales", 0)
    await service.accept("agent_alice", "s1")
    heard = len(sink.of("s1"))
    await service.leave("s1", reason)
    ended = {"type": "session_ended", "session_id": "s1", "closed_by": closed_by}
    assert notifier.of("agent_alice")[-1] == ended
    assert len(sink.of("s1")) == heard


async def test_a_visitor_waits_is_offered_accepted_and_ended(
    parts: tuple[QueueService, MemorySink, MemoryNotifier],
) -> None:
    service, sink, notifier = parts
    await service.enqueue("s1", "acme", "presales", 0)
    assert [type(e) for e in sink.of("s1")] == [NoAgents, QueuePosition]
    await service.login("agent_alice")
    assert notifier.of("agent_alice") == [
        {"type": "status", "status": "free"},
        {"type": "offer", "session_id": "s1", "group": "presales", "timeout": 15},
    ]
    with pytest.raises(NotOffered):
        await service.accept("agent_bob01", "s1")
    await service.accept("agent_alice", "s1")
    joined = sink.of("s1")[-1]
    assert isinstance(joined, AgentJoined)
    assert (joined.agent_id, joined.staff_no, joined.nickname) == ("agent_alice", "1001", "Alice")
    await service.end("s1", agent_id="agent_alice")
    assert sink.of("s1")[-1] == AgentEnded(sink.of("s1")[-1].key, "seat")
    assert notifier.of("agent_alice")[-2:] == [
        {"type": "assigned", "session_id": "s1", "group": "presales"},
        {"type": "session_ended", "session_id": "s1", "closed_by": "seat"},
    ]


async def test_positions_reach_the_visitors_behind(
    parts: tuple[QueueService, MemorySink, MemoryNotifier],
) -> None:
    service, sink, _ = parts
    await service.login("agent_alice", status="busy")
    for sid in ("s1", "s2", "s3"):
        await service.enqueue(sid, "acme", "presales", 0)
    await service.leave("s1")
    aheads = [e.ahead for e in sink.of("s3") if isinstance(e, QueuePosition)]
    assert aheads == [2, 1]
    assert sink.of("s1") == [QueuePosition(sink.of("s1")[0].key, 0)]  # no echo of its own leave


async def test_a_missed_offer_rings_the_next_agent_and_tells_the_first(
    parts: tuple[QueueService, MemorySink, MemoryNotifier], clock: FrozenClock
) -> None:
    service, _, notifier = parts
    await service.login("agent_alice")
    await service.enqueue("s1", "acme", "presales", 0)
    await service.login("agent_bob01")
    clock.advance(15)
    await service.tick()
    assert notifier.of("agent_alice")[-1] == {"type": "auto_transfer", "session_id": "s1"}
    assert notifier.of("agent_bob01")[-1]["type"] == "offer"


async def test_transfer_and_invite_frames(
    parts: tuple[QueueService, MemorySink, MemoryNotifier],
) -> None:
    service, sink, notifier = parts
    await service.login("agent_alice")
    await service.enqueue("s1", "acme", "presales", 0)
    await service.accept("agent_alice", "s1")
    await service.login("agent_bob01")
    await service.invite("s1", "agent_bob01")
    assert notifier.of("agent_bob01")[-1] == {
        "type": "assigned",
        "session_id": "s1",
        "invited": True,
    }
    await service.leave_collaboration("s1", "agent_bob01")
    await service.transfer("s1", to_agent="agent_bob01")
    assert notifier.of("agent_alice")[-1] == {
        "type": "transferred",
        "session_id": "s1",
        "to_group": None,
        "to_agent": "agent_bob01",
    }
    moved = [e for e in sink.of("s1") if isinstance(e, AgentTransferred)]
    assert [(e.to_group, e.to_agent) for e in moved] == [(None, "agent_bob01")]
    await service.accept("agent_bob01", "s1")
    joined = [e for e in sink.of("s1") if isinstance(e, AgentJoined)]
    assert [e.nickname for e in joined] == ["Alice", "Bob"]
    assert len({e.key for e in joined}) == 2


async def test_a_sink_calling_back_into_the_queue_does_not_deadlock(
    parts: tuple[QueueService, MemorySink, MemoryNotifier],
) -> None:
    """A flow whose ``on_no_agents`` leaves the queue calls ``leave`` from inside ``deliver``."""
    service, sink, _ = parts

    async def leave_on_no_agents(session_id: str, event: Event) -> None:
        if isinstance(event, NoAgents):
            await service.leave(session_id)

    sink.on_deliver = leave_on_no_agents
    await asyncio.wait_for(service.enqueue("s1", "acme", "presales", 0), 1)
    assert service.dispatcher.session("s1") is None
    assert [type(e) for e in sink.of("s1")] == [NoAgents, QueuePosition]


async def test_positions_superseded_while_deliveries_lag_are_not_sent(
    parts: tuple[QueueService, MemorySink, MemoryNotifier],
) -> None:
    service, sink, _ = parts
    await service.login("agent_alice", status="busy")
    for n in range(5):
        await service.enqueue(f"s{n}", "acme", "presales", 0)
    gate = asyncio.Event()

    async def slow(session_id: str, event: Event) -> None:
        await gate.wait()

    sink.on_deliver = slow
    first = asyncio.create_task(service.leave("s0"))  # its drain stalls on s1's new position
    await asyncio.sleep(0)
    await service.leave("s1")  # queued behind the stalled drain: s2..s4 move up again
    gate.set()
    await first
    aheads = [e.ahead for e in sink.of("s4") if isinstance(e, QueuePosition)]
    assert aheads == [4, 2]  # 3 was superseded before it could be sent


async def test_a_failing_delivery_does_not_stop_the_others(
    parts: tuple[QueueService, MemorySink, MemoryNotifier],
    caplog: pytest.LogCaptureFixture,
) -> None:
    service, sink, _ = parts

    async def fail_for_s1(session_id: str, event: Event) -> None:
        if session_id == "s1":
            raise RuntimeError("store down")

    sink.on_deliver = fail_for_s1
    await service.login("agent_alice", status="busy")
    await service.enqueue("s1", "acme", "presales", 0)
    await service.enqueue("s2", "acme", "presales", 0)
    assert sink.of("s2")
    assert "routing.deliver_failed" in caplog.text


async def test_run_ticks_at_the_offer_deadline(
    parts: tuple[QueueService, MemorySink, MemoryNotifier], clock: FrozenClock
) -> None:
    service, _, notifier = parts
    await service.login("agent_alice")
    await service.enqueue("s1", "acme", "presales", 0)
    task = asyncio.create_task(service.run(interval=0.01))
    try:
        clock.advance(16)
        for _ in range(100):
            await asyncio.sleep(0.01)
            if notifier.of("agent_alice")[-1]["type"] == "auto_transfer":
                break
        assert {"type": "auto_transfer", "session_id": "s1"} in notifier.of("agent_alice")
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_a_restored_service_is_the_agents_again_when_it_logs_in(
    parts: tuple[QueueService, MemorySink, MemoryNotifier],
) -> None:
    """After a restart the runtime gives back the services it finds (``Runtime.recover``): the
    agent, offline until it reconnects, finds the conversation on logging in, can end it, and
    it counts against its room meanwhile."""
    service, sink, notifier = parts
    held = QueueHold("s1", "acme", "presales", 0, "agent_alice", None)
    await service.restore(held)
    view = service.dispatcher.session("s1")
    assert view is not None and (view.phase, view.agents) == ("active", ("agent_alice",))
    assert sink.of("s1") == [] and notifier.frames == []  # nothing changed for anyone
    await service.restore(held)  # said twice: taken once
    await service.login("agent_alice")
    assert [v.session_id for v in service.dispatcher.sessions_of("agent_alice")] == ["s1"]
    agent = service.dispatcher.agent("agent_alice")
    assert agent is not None and agent.active == {"s1"}
    await service.end("s1", agent_id="agent_alice")
    assert isinstance(sink.of("s1")[-1], AgentEnded)
    assert notifier.of("agent_alice")[-1]["type"] == "session_ended"


async def test_a_service_whose_agent_is_gone_queues_for_another(
    parts: tuple[QueueService, MemorySink, MemoryNotifier],
) -> None:
    service, sink, notifier = parts
    await service.login("agent_bob01")
    await service.restore(QueueHold("s1", "acme", "presales", 0, "deleted_carol", None))
    assert service.dispatcher.agent("deleted_carol") is None
    assert [type(e) for e in sink.of("s1")] == [QueuePosition]  # the visitor waits again
    assert notifier.of("agent_bob01")[-1]["type"] == "offer"
    with pytest.raises(UnknownGroup):  # another merchant's: queued, and globex has no group
        await service.restore(QueueHold("s2", "globex", "presales", 0, "agent_alice", None))
    assert service.dispatcher.session("s2") is None

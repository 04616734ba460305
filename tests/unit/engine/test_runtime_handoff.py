"""The runtime around the human queue: sys values set before the node hears the event, interrupts
only while the bot owns the session, agent_end_message, the visitor leaving, and hand-offs
performed only after the state that caused them is saved."""

from __future__ import annotations

import pytest
from runtime_kit import KIT, FakeQueue, runtime_for

from chatflow.engine.clock import FrozenClock
from chatflow.engine.events import (
    AgentEnded,
    AgentJoined,
    AgentMessage,
    AgentTransferred,
    Event,
    NoAgents,
    QueuePosition,
    Rating,
    SessionClosed,
    VisitorEnded,
    VisitorText,
)
from chatflow.engine.frames import Frame
from chatflow.engine.runtime import Runtime
from chatflow.engine.stores.memory import MemoryStore

pytestmark = pytest.mark.anyio

FLOW = """\
id: queue
start: ask
vars: {x: "", score: 0}
settings: {agent_end_message: "服务结束，工号 {{ sys.staff_no }}", idle_timeout: 600}
interrupts:
  - {keywords: [转人工, Human Agent], goto: human}
  - {keywords: [restart], goto: ask}
nodes:
  ask: {type: ask, prompt: "what?", var: x, next: log}
  log: {type: log}
  human: {type: queue, group: vip, next: rate, on_no_agents: sorry}
  sorry: {type: say, text: "nobody here", next: ask}
  rate: {type: rate, next: bye}
  bye: {type: stop, message: "bye"}
"""


def texts(frames: list[Frame]) -> list[str]:
    return [f"{f.sender}: {f.text}" if f.type == "message" else f.type for f in frames]


async def setup(store: MemoryStore, queue: FakeQueue) -> tuple[Runtime, str]:
    runtime = await runtime_for(FLOW, store, handoff=queue)
    return runtime, await runtime.start("queue", merchant="acme")


async def test_a_whole_human_service_from_interrupt_to_survey(memory_store: MemoryStore) -> None:
    queue = FakeQueue()
    runtime, sid = await setup(memory_store, queue)
    await runtime.deliver(sid, VisitorText("k1", " human  AGENT "))
    await runtime.drain()
    assert queue.calls == [("enqueue", sid, "acme", "vip", "1")]
    session = await runtime.get(sid)
    assert (session.node, session.status, session.queue_group) == ("human", "queued", "vip")
    assert "sys.idle" not in session.timers

    await runtime.deliver(sid, QueuePosition("q1", ahead=2))
    await runtime.deliver(sid, VisitorText("k2", "restart"))  # not an interrupt while queued
    await runtime.deliver(
        sid, AgentJoined("a1", agent_id="alice", staff_no="1001", nickname="Alice")
    )
    await runtime.deliver(sid, VisitorText("k3", "hello"))
    await runtime.deliver(sid, AgentMessage("a2", agent_id="alice", text="how can I help?"))
    await runtime.drain()
    session = await runtime.get(sid)
    assert (session.status, session.sys.staff_nickname, session.node) == (
        "with_agent",
        "Alice",
        "human",
    )
    assert queue.calls[1:] == []  # the agents read the visitor's lines in the log (below)

    await runtime.deliver(sid, AgentEnded("a3"))
    await runtime.deliver(sid, Rating("r1", 5, client_id="m7"))
    frames = await runtime.outputs(sid, after=1)
    assert texts(frames) == [
        "visitor:  human  AGENT ",
        "queue",
        "bot: ahead: 2",
        "visitor: restart",
        "agent_joined",
        "bot: agent Alice here",
        "visitor: hello",
        "agent: how can I help?",
        "system: 服务结束，工号 1001",
        "survey",
        "visitor: 5",
        "bot: bye",
        "ended",
    ]
    assert frames[1].to_json()["position"] == 3 and frames[1].to_json()["ahead"] == 2
    assert frames[4].body == {"staff_no": "1001", "nickname": "Alice"}
    assert frames[9].body == {"style": "star", "levels": 5, "labels": [], "prompt": "rate us"}
    assert frames[10].body["id"] == "m7"
    session = await runtime.get(sid)
    assert (session.status, session.end_reason, session.variables["score"]) == ("ended", "flow", 5)
    await runtime.drain()
    assert len(queue.calls) == 1  # the agent ended the service: nobody to tell


async def test_the_visitor_leaving_the_queue_ends_the_session_and_leaves_the_queue(
    memory_store: MemoryStore,
) -> None:
    queue = FakeQueue()
    runtime, sid = await setup(memory_store, queue)
    await runtime.deliver(sid, VisitorText("k1", "转人工"))
    await runtime.deliver(sid, VisitorEnded("k2", client_id="m3"))
    await runtime.drain()
    assert queue.calls[-1] == ("leave", sid, "visitor")
    session = await runtime.get(sid)
    assert (session.status, session.end_reason) == ("ended", "visitor")
    ended = (await runtime.outputs(sid))[-1]
    assert ended.to_json()["reason"] == "visitor" and ended.to_json()["id"] == "m3"
    assert not await runtime.apply(sid, AgentJoined("a1", agent_id="alice"))


async def test_an_administrator_closing_a_queued_session_ends_it_and_leaves_the_queue(
    memory_store: MemoryStore,
) -> None:
    queue = FakeQueue()
    runtime, sid = await setup(memory_store, queue)
    await runtime.deliver(sid, VisitorText("k1", "转人工"))
    await runtime.deliver(sid, SessionClosed("admin-1"))
    await runtime.drain()
    assert queue.calls[-1] == ("leave", sid, "admin")
    session = await runtime.get(sid)
    assert (session.status, session.end_reason, session.timers) == ("ended", "admin", {})
    assert (await runtime.outputs(sid))[-1].body == {"reason": "admin"}


async def test_leaving_the_transfer_node_leaves_the_queue_exactly_once(
    memory_store: MemoryStore,
) -> None:
    queue = FakeQueue()
    runtime, sid = await setup(memory_store, queue)
    await runtime.deliver(sid, VisitorText("k1", "转人工"))
    await runtime.deliver(sid, NoAgents("n1"))
    await runtime.drain()
    assert [c[0] for c in queue.calls] == ["enqueue", "leave"]
    session = await runtime.get(sid)
    assert (session.node, session.status, session.queue_group) == ("ask", "active", None)
    assert texts(await runtime.outputs(sid))[-2:] == ["bot: nobody here", "bot: what?"]


@pytest.mark.parametrize(
    "event",
    [
        QueuePosition("e", ahead=1),
        NoAgents("e"),
        AgentJoined("e", agent_id="alice"),
        AgentMessage("e", agent_id="alice", text="hi"),
        AgentEnded("e"),
        AgentTransferred("t", to_group="vip"),
    ],
)
async def test_queue_events_out_of_place_are_ignored(
    memory_store: MemoryStore, event: Event
) -> None:
    runtime, sid = await setup(memory_store, FakeQueue())
    assert not await runtime.apply(sid, event)
    session = await runtime.get(sid)
    assert (session.status, session.version, session.sys.wait_no) == ("active", 1, 0)


async def test_a_transfer_between_agents_reports_queue_and_new_agent(
    memory_store: MemoryStore,
) -> None:
    runtime, sid = await setup(memory_store, FakeQueue())
    await runtime.deliver(sid, VisitorText("k1", "转人工"))
    await runtime.deliver(
        sid, AgentJoined("a1", agent_id="alice", staff_no="1001", nickname="Alice")
    )
    await runtime.deliver(sid, QueuePosition("q1", ahead=0))
    await runtime.deliver(sid, AgentJoined("a2", agent_id="bob", staff_no="1002", nickname="Bob"))
    session = await runtime.get(sid)
    assert (session.status, session.sys.staff_no, session.sys.staff_nickname) == (
        "with_agent",
        "1002",
        "Bob",
    )
    assert texts(await runtime.outputs(sid))[-3:] == [
        "bot: ahead: 0",
        "agent_joined",
        "bot: agent Bob here",
    ]


async def test_interrupts_match_the_whole_text_ignoring_case_and_spaces(
    memory_store: MemoryStore,
) -> None:
    runtime, sid = await setup(memory_store, FakeQueue())
    await runtime.deliver(sid, VisitorText("k1", "please human agent"))
    assert (await runtime.get(sid)).node == "log"
    await runtime.deliver(sid, VisitorText("k2", "ReStart"))
    session = await runtime.get(sid)
    assert (session.node, session.state, session.sys.last_input) == ("ask", {"asked": 1}, "ReStart")
    assert texts(await runtime.outputs(sid))[-2:] == ["visitor: ReStart", "bot: what?"]


class ReentrantQueue(FakeQueue):
    """A dispatcher that answers inside ``enqueue``, reading the store as it goes."""

    def __init__(self, store: MemoryStore) -> None:
        super().__init__()
        self.store = store
        self.runtime: Runtime | None = None
        self.seen_status = ""

    async def enqueue(self, session_id: str, merchant: str, group: str, priority: int) -> None:
        await super().enqueue(session_id, merchant, group, priority)
        session = await self.store.load(session_id)
        assert session is not None and self.runtime is not None
        self.seen_status = session.status
        await self.runtime.deliver(session_id, QueuePosition("q1", ahead=0))


async def test_hand_offs_happen_after_the_save_and_may_deliver_events_back(
    memory_store: MemoryStore,
) -> None:
    queue = ReentrantQueue(memory_store)
    runtime, sid = await setup(memory_store, queue)
    queue.runtime = runtime
    await runtime.deliver(sid, VisitorText("k1", "转人工"))
    await runtime.drain()
    assert queue.seen_status == "queued"
    assert texts(await runtime.outputs(sid))[-2:] == ["queue", "bot: ahead: 0"]


async def test_recover_hands_queued_sessions_to_the_queue_again(memory_store: MemoryStore) -> None:
    runtime, sid = await setup(memory_store, FakeQueue())
    await runtime.deliver(sid, VisitorText("k1", "转人工"))
    await runtime.drain()
    queue = FakeQueue()
    restarted = Runtime(memory_store, KIT, handoff=queue)
    assert await restarted.recover() == 1
    await restarted.drain()
    since = (await runtime.get(sid)).waiting_since
    assert since is not None
    assert queue.calls == [("restore", sid, "acme", "vip", "1", "", since.isoformat())]


async def test_recover_gives_a_service_back_to_its_agent_and_queues_one_handed_on(
    memory_store: MemoryStore,
) -> None:
    """A restart forgets the in-memory queue; the sessions say who served them."""
    runtime, served = await setup(memory_store, FakeQueue())
    _, moving = await setup(memory_store, FakeQueue())
    _, waiting = await setup(memory_store, FakeQueue())
    for sid in (served, moving, waiting):
        await runtime.deliver(sid, VisitorText("k1", "转人工"))
    for sid in (served, moving):
        await runtime.deliver(sid, AgentJoined("a1", "alice", "1001", "Alice"))
    await runtime.deliver(moving, AgentTransferred("t1", to_group="billing"))
    await runtime.drain()
    assert (await runtime.get(served)).queue_agent == "alice"
    session = await runtime.get(moving)
    assert (session.status, session.queue_group, session.queue_agent) == (
        "with_agent",
        "billing",
        None,
    )

    queue = FakeQueue()
    restarted = Runtime(memory_store, KIT, handoff=queue)
    assert await restarted.recover() == 3
    asked = {call[1]: call[2:6] for call in queue.calls}
    assert asked == {
        served: ("acme", "vip", "1", "alice"),
        moving: ("acme", "billing", "1", ""),
        waiting: ("acme", "vip", "1", ""),
    }


async def test_a_transfer_stops_the_idle_timer_until_an_agent_joins(
    memory_store: MemoryStore,
) -> None:
    """While a transfer rings for the next agent nobody serves: the previous agent's silence
    rule must not sign the visitor off (an agent's message started the idle timer)."""
    runtime, sid = await setup(memory_store, FakeQueue())
    await runtime.deliver(sid, VisitorText("k1", "转人工"))
    await runtime.deliver(sid, AgentJoined("a1", "alice", "1001", "Alice"))
    await runtime.deliver(sid, AgentMessage("m1", agent_id="alice", text="hello"))
    assert "sys.idle" in (await runtime.get(sid)).timers
    await runtime.deliver(sid, AgentTransferred("t1", to_agent="bob"))
    session = await runtime.get(sid)
    assert "sys.idle" not in session.timers
    assert (session.status, session.queue_group, session.queue_agent) == ("with_agent", "vip", None)
    await runtime.deliver(sid, AgentJoined("a2", "bob", "1002", "Bob"))
    assert (await runtime.get(sid)).queue_agent == "bob"


async def test_recover_keeps_the_queues_order_and_each_visitors_wait(
    memory_store: MemoryStore, frozen_clock: FrozenClock
) -> None:
    """The store lists sessions in no particular order; the queue is given them in the order
    the visitors first queued, each with when its current wait began (a transfer starts one)."""
    runtime = await runtime_for(FLOW, memory_store, handoff=FakeQueue(), clock=frozen_clock)
    sids = [await runtime.start("queue", merchant="acme") for _ in range(3)]
    for sid in reversed(sids):  # the last to start queues first
        await runtime.deliver(sid, VisitorText(f"k-{sid}", "转人工"))
        frozen_clock.advance(60)
    first = sids[-1]
    await runtime.deliver(first, AgentJoined("a1", "alice", "1001", "Alice"))
    frozen_clock.advance(60)
    await runtime.deliver(first, AgentTransferred("t1", to_group="vip"))
    await runtime.deliver(sids[0], AgentTransferred("t2", to_group="vip"))  # while it waits
    queued = {sid: (await runtime.get(sid)).queued_at for sid in sids}
    assert queued[sids[2]] < queued[sids[1]] < queued[sids[0]]

    queue = FakeQueue()
    assert await Runtime(memory_store, KIT, handoff=queue).recover() == 3
    assert [call[1] for call in queue.calls] == list(reversed(sids))
    since = {call[1]: call[6] for call in queue.calls}
    assert since[sids[0]] == "2026-11-23T10:02:00+08:00"  # queued two minutes in: moved on
    # by an admin while it waited, its wait goes on (as the dispatcher counts it)
    assert since[first] == "2026-11-23T10:04:00+08:00"  # handed on at four, queued at zero

"""Images in the runtime: echoed like text, forwarded to the agents serving the session, applied
once per key, and never seen by nodes."""

from __future__ import annotations

import pytest
from runtime_kit import FakeQueue, runtime_for

from chatflow.engine.clock import FrozenClock
from chatflow.engine.events import AgentImage, AgentJoined, VisitorImage, VisitorText
from chatflow.engine.runtime import Runtime
from chatflow.engine.stores.memory import MemoryStore

pytestmark = pytest.mark.anyio

FLOW = """\
id: pics
start: ask
vars: {x: ""}
settings: {idle_timeout: 600}
interrupts:
  - {keywords: [human], goto: human}
nodes:
  ask: {type: ask, prompt: "what?", var: x, next: log}
  log: {type: log}
  human: {type: queue, group: vip, next: ask}
"""

URL = "/api/v1/images/abc"


async def setup(
    store: MemoryStore, queue: FakeQueue, clock: FrozenClock | None = None
) -> tuple[Runtime, str]:
    runtime = await runtime_for(FLOW, store, handoff=queue, clock=clock)
    return runtime, await runtime.start("pics", merchant="acme")


async def test_a_visitor_image_is_echoed_with_its_id_and_the_node_does_not_hear_it(
    memory_store: MemoryStore,
) -> None:
    runtime, sid = await setup(memory_store, FakeQueue())
    before = await runtime.get(sid)
    assert await runtime.apply(sid, VisitorImage("client:i1", url=URL, client_id="i1"))
    assert not await runtime.apply(sid, VisitorImage("client:i1", url=URL, client_id="i1"))
    frames = await runtime.outputs(sid)
    assert frames[-1].to_json() | {"at": ""} == {
        "type": "message",
        "seq": 2,
        "from": "visitor",
        "image": URL,
        "id": "i1",
        "at": "",
    }
    after = await runtime.get(sid)
    assert (after.node, after.state, after.variables) == (
        before.node,
        before.state,
        before.variables,
    )


async def test_an_image_restarts_the_idle_clock_while_the_bot_waits(
    memory_store: MemoryStore, frozen_clock: FrozenClock
) -> None:
    runtime, sid = await setup(memory_store, FakeQueue(), frozen_clock)
    first = (await runtime.get(sid)).timers["sys.idle"].due
    frozen_clock.advance(300)
    await runtime.apply(sid, VisitorImage("i", url=URL))
    assert (await runtime.get(sid)).timers["sys.idle"].due > first


async def test_images_reach_the_agents_through_the_log_queued_or_served(
    memory_store: MemoryStore,
) -> None:
    """The agents read the session's log (a queued image in the transcript they get on
    accepting, a later one live); the queue is asked for nothing but the hand-off."""
    queue = FakeQueue()
    runtime, sid = await setup(memory_store, queue)
    await runtime.apply(sid, VisitorText("t1", "human"))
    await runtime.apply(sid, VisitorImage("i1", url="/api/v1/images/queued"))
    await runtime.apply(sid, AgentJoined("j", agent_id="alice", staff_no="1", nickname="A"))
    await runtime.apply(sid, VisitorImage("i2", url=URL))
    await runtime.drain()
    images = [f.body["image"] for f in await runtime.outputs(sid) if "image" in f.body]
    assert images == ["/api/v1/images/queued", URL]
    assert [c[0] for c in queue.calls] == ["enqueue"]


async def test_an_agent_image_needs_an_agent_on_the_session(memory_store: MemoryStore) -> None:
    runtime, sid = await setup(memory_store, FakeQueue())
    assert not await runtime.apply(sid, AgentImage("a1", agent_id="alice", url=URL))
    await runtime.apply(sid, VisitorText("t1", "human"))
    await runtime.apply(sid, AgentJoined("j", agent_id="alice", staff_no="1", nickname="A"))
    assert await runtime.apply(sid, AgentImage("a2", agent_id="alice", url=URL, client_id="c9"))
    last = (await runtime.outputs(sid))[-1]
    assert (last.type, last.sender, last.body["image"], last.body["id"]) == (
        "message",
        "agent",
        URL,
        "c9",
    )

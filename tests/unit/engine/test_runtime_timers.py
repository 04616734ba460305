"""Timers in the runtime: the idle timeout (with the bot and with an agent), node timers that
fire once and die with their node, and HTTP calls whose answer comes back as an event (or is
re-issued after a crash)."""

from __future__ import annotations

import asyncio

import pytest
from runtime_kit import KIT, FakeHttp, FakeQueue, runtime_for

from chatflow.engine.clock import FrozenClock
from chatflow.engine.effects import HttpReply, HttpRequest
from chatflow.engine.events import (
    AgentEnded,
    AgentImage,
    AgentJoined,
    AgentMessage,
    Choice,
    Event,
    HttpResult,
    NoAgents,
    QueuePosition,
    TimerFired,
    VisitorImage,
    VisitorText,
)
from chatflow.engine.frames import Frame
from chatflow.engine.interpreter import IDLE_TIMER
from chatflow.engine.runtime import Runtime
from chatflow.engine.stores.memory import MemoryStore

pytestmark = pytest.mark.anyio

IDLE = """\
id: idle
start: ask
vars: {name: ""}
settings: {idle_timeout: 60, idle_message: "再见 {{ name }}"}
nodes:
  ask: {type: ask, prompt: "name?", var: name, next: thanks}
  thanks: {type: say, text: "thanks", next: log}
  log: {type: log}
"""


def texts(frames: list[Frame]) -> list[str]:
    return [f"{f.sender}: {f.text}" if f.type == "message" else f.type for f in frames]


async def test_the_idle_timeout_restarts_after_each_bot_output_then_ends_the_session(
    memory_store: MemoryStore, frozen_clock: FrozenClock
) -> None:
    runtime = await runtime_for(IDLE, memory_store, clock=frozen_clock)
    sid = await runtime.start("idle")
    frozen_clock.advance(59)
    assert await runtime.fire_due_timers() == 0
    await runtime.deliver(sid, VisitorText("k1", "Ann"))
    frozen_clock.advance(59)
    assert await runtime.fire_due_timers() == 0
    assert (await runtime.get(sid)).status == "active"
    frozen_clock.advance(1)
    assert await runtime.fire_due_timers() == 1
    session = await runtime.get(sid)
    assert (session.status, session.end_reason, session.timers) == ("ended", "idle", {})
    frames = await runtime.outputs(sid, after=3)
    assert texts(frames) == ["system: 再见 Ann", "ended"]
    assert frames[-1].to_json()["reason"] == "idle"
    frozen_clock.advance(3600)
    assert await runtime.fire_due_timers() == 0


async def test_a_visitor_reply_without_an_answer_stops_the_idle_clock(
    memory_store: MemoryStore, frozen_clock: FrozenClock
) -> None:
    flow = IDLE.replace("next: thanks}", "next: human}") + "  human: {type: queue, group: g}\n"
    runtime = await runtime_for(flow, memory_store, clock=frozen_clock, handoff=FakeQueue())
    sid = await runtime.start("idle")
    assert IDLE_TIMER in (await runtime.get(sid)).timers
    await runtime.deliver(sid, VisitorText("k1", "Ann"))
    session = await runtime.get(sid)
    assert session.status == "queued" and IDLE_TIMER not in session.timers
    frozen_clock.advance(3600)
    assert await runtime.fire_due_timers() == 0
    assert (await runtime.get(sid)).status == "queued"


SERVED = """\
id: served
start: ask
vars: {x: ""}
settings: {idle_timeout: 60, agent_idle_timeout: 120, idle_message: "再见"}
nodes:
  ask: {type: ask, prompt: "what?", var: x, next: human}
  human: {type: queue, group: g, next: more}
  more: {type: ask, prompt: "anything else?", var: x, next: human}
"""


class Served:
    """A session of SERVED with Alice serving it, on a frozen clock; ``say`` is her next line."""

    def __init__(self, runtime: Runtime, queue: FakeQueue, clock: FrozenClock, sid: str) -> None:
        self.runtime, self.queue, self.clock, self.sid = runtime, queue, clock, sid
        self._keys = 0

    def key(self) -> str:
        self._keys += 1
        return f"e{self._keys}"

    async def apply(self, event: Event) -> None:
        assert await self.runtime.apply(self.sid, event)

    async def say(self, text: str = "hi") -> None:
        await self.apply(AgentMessage(self.key(), agent_id="alice", text=text))

    async def idle_due_in(self) -> float | None:
        """Seconds until the idle timer fires; None when it is not running."""
        timer = (await self.runtime.get(self.sid)).timers.get(IDLE_TIMER)
        return None if timer is None else (timer.due - self.clock.now()).total_seconds()


async def served(
    store: MemoryStore, clock: FrozenClock, flow: str = SERVED, *, joined: bool = True
) -> Served:
    queue = FakeQueue()
    runtime = await runtime_for(flow, store, clock=clock, handoff=queue)
    sid = await runtime.start("served")
    session = Served(runtime, queue, clock, sid)
    await session.apply(VisitorText(session.key(), "help"))
    if joined:
        await session.apply(
            AgentJoined(session.key(), agent_id="alice", staff_no="1", nickname="A")
        )
    return session


async def test_while_queued_the_idle_timer_never_runs(
    memory_store: MemoryStore, frozen_clock: FrozenClock
) -> None:
    s = await served(memory_store, frozen_clock, joined=False)
    assert (await s.runtime.get(s.sid)).status == "queued"
    assert await s.idle_due_in() is None
    await s.apply(QueuePosition(s.key(), ahead=3))  # the bot speaks: "ahead: 3"
    await s.apply(NoAgents(s.key()))
    assert await s.idle_due_in() is None
    frozen_clock.advance(3600)
    assert await s.runtime.fire_due_timers() == 0
    assert (await s.runtime.get(s.sid)).status == "queued"


async def test_an_agent_message_starts_it_and_the_bot_greeting_does_not(
    memory_store: MemoryStore, frozen_clock: FrozenClock
) -> None:
    s = await served(memory_store, frozen_clock)
    assert texts(await s.runtime.outputs(s.sid))[-1] == "bot: agent A here"
    assert await s.idle_due_in() is None
    await s.say()
    assert await s.idle_due_in() == 120
    frozen_clock.advance(100)
    await s.apply(AgentImage(s.key(), agent_id="alice", url="/api/v1/images/x"))
    assert await s.idle_due_in() == 120  # an agent's image restarts it too
    frozen_clock.advance(30)
    await s.say("still there?")
    assert await s.idle_due_in() == 120


@pytest.mark.parametrize(
    "reply",
    [
        VisitorText("reply", "yes"),
        Choice("reply", "yes"),
        VisitorImage("reply", url="/api/v1/images/y"),
    ],
    ids=["text", "choice", "image"],
)
async def test_a_visitor_reply_stops_it_while_an_agent_serves(
    memory_store: MemoryStore, frozen_clock: FrozenClock, reply: Event
) -> None:
    s = await served(memory_store, frozen_clock)
    await s.say()
    frozen_clock.advance(119)
    await s.apply(reply)
    assert await s.idle_due_in() is None
    frozen_clock.advance(3600)
    assert await s.runtime.fire_due_timers() == 0
    assert (await s.runtime.get(s.sid)).status == "with_agent"


async def test_it_ends_the_service_and_the_session_when_the_visitor_never_answers(
    memory_store: MemoryStore, frozen_clock: FrozenClock
) -> None:
    s = await served(memory_store, frozen_clock)
    await s.say("what is your order number?")
    frozen_clock.advance(119)
    assert await s.runtime.fire_due_timers() == 0
    frozen_clock.advance(1)
    assert await s.runtime.fire_due_timers() == 1
    await s.runtime.drain()
    session = await s.runtime.get(s.sid)
    assert (session.status, session.end_reason, session.timers) == ("ended", "idle", {})
    frames = await s.runtime.outputs(s.sid)
    assert texts(frames)[-3:] == ["agent: what is your order number?", "system: 再见", "ended"]
    assert frames[-1].body == {"reason": "idle"}
    assert s.queue.calls[-1] == ("leave", s.sid, "idle")  # the queue: closed_by timer


async def test_a_transfer_stops_it_and_the_next_agent_starts_it_again(
    memory_store: MemoryStore, frozen_clock: FrozenClock
) -> None:
    s = await served(memory_store, frozen_clock)
    await s.say("I will transfer you")
    await s.apply(QueuePosition(s.key(), ahead=0))  # queued again, still "with_agent"
    assert await s.idle_due_in() is None
    await s.say()
    await s.apply(AgentJoined(s.key(), agent_id="bob", staff_no="2", nickname="B"))
    assert await s.idle_due_in() is None
    frozen_clock.advance(3600)
    assert await s.runtime.fire_due_timers() == 0
    await s.apply(AgentMessage(s.key(), agent_id="bob", text="hello"))
    assert await s.idle_due_in() == 120


async def test_after_the_service_the_bot_rule_applies_again(
    memory_store: MemoryStore, frozen_clock: FrozenClock
) -> None:
    s = await served(memory_store, frozen_clock)
    await s.say()
    await s.apply(AgentEnded(s.key()))
    session = await s.runtime.get(s.sid)
    assert (session.status, session.node) == ("active", "more")
    assert await s.idle_due_in() == 60  # from "anything else?", with idle_timeout
    frozen_clock.advance(60)
    assert await s.runtime.fire_due_timers() == 1
    await s.runtime.drain()
    assert (await s.runtime.get(s.sid)).end_reason == "idle"
    assert [c[0] for c in s.queue.calls] == ["enqueue"]  # the service was over: nobody to tell


@pytest.mark.parametrize(
    ("settings", "bot", "agent"),
    [
        ("{idle_timeout: 60}", 60, 60),  # absent: the same as idle_timeout
        ("{idle_timeout: 60, agent_idle_timeout: 0}", 60, None),  # never during the service
        ("{agent_idle_timeout: 90}", None, 90),  # only during the service
        ("{}", None, None),
    ],
)
async def test_agent_idle_timeout_defaults_to_idle_timeout_and_0_turns_it_off(
    memory_store: MemoryStore,
    frozen_clock: FrozenClock,
    settings: str,
    bot: float | None,
    agent: float | None,
) -> None:
    flow = SERVED.replace(
        '{idle_timeout: 60, agent_idle_timeout: 120, idle_message: "再见"}', settings
    )
    assert flow != SERVED
    queue = FakeQueue()
    runtime = await runtime_for(flow, memory_store, clock=frozen_clock, handoff=queue)
    s = Served(runtime, queue, frozen_clock, await runtime.start("served"))
    assert await s.idle_due_in() == bot
    await s.apply(VisitorText(s.key(), "help"))
    await s.apply(AgentJoined(s.key(), agent_id="alice", staff_no="1", nickname="A"))
    await s.say()
    assert await s.idle_due_in() == agent


TIMED = """\
id: timed
start: ask
vars: {x: ""}
nodes:
  ask: {type: ask, prompt: "quick!", var: x, next: log, timeout: 30, on_timeout: log}
  log: {type: log}
"""


async def test_a_timer_fires_exactly_once_even_with_two_workers(
    memory_store: MemoryStore, frozen_clock: FrozenClock
) -> None:
    runtime = await runtime_for(TIMED, memory_store, clock=frozen_clock)
    other = Runtime(memory_store, KIT, clock=frozen_clock)
    sid = await runtime.start("timed")
    frozen_clock.advance(30)
    counts = await asyncio.gather(runtime.fire_due_timers(), other.fire_due_timers())
    assert sorted(counts) == [0, 1]
    assert await runtime.fire_due_timers() == 0
    assert texts(await runtime.outputs(sid)) == ["bot: quick!", "bot: too slow"]
    assert (await runtime.get(sid)).node == "log"


async def test_a_cancelled_or_restarted_timer_never_fires_its_old_instance(
    memory_store: MemoryStore, frozen_clock: FrozenClock
) -> None:
    runtime = await runtime_for(TIMED, memory_store, clock=frozen_clock)
    sid = await runtime.start("timed")
    old = (await runtime.get(sid)).timers["ask:timeout"]
    assert not await runtime.apply(sid, TimerFired(key="timer:999", name="ask:timeout"))
    await runtime.deliver(sid, VisitorText("k1", "fast"))
    session = await runtime.get(sid)
    assert session.node == "log" and session.timers == {}
    assert await memory_store.due_timers(frozen_clock.advance(3600)) == []
    assert not await runtime.apply(sid, TimerFired(key=old.key, name=old.name))
    assert texts(await runtime.outputs(sid)) == ["bot: quick!", "visitor: fast"]


async def test_timers_survive_a_new_runtime_on_the_same_store(
    memory_store: MemoryStore, frozen_clock: FrozenClock
) -> None:
    first = await runtime_for(TIMED, memory_store, clock=frozen_clock)
    sid = await first.start("timed")
    await first.aclose()
    second = Runtime(memory_store, KIT, clock=frozen_clock)
    frozen_clock.advance(31)
    assert await second.fire_due_timers() == 1
    assert (await second.get(sid)).node == "log"


FETCH = """\
id: fetch
start: call
nodes:
  call: {type: fetch, url: "https://crm.test/{{ sys.session_id }}", next: log}
  log: {type: log}
"""


async def test_an_http_answer_comes_back_as_an_event_applied_once(
    memory_store: MemoryStore,
) -> None:
    http = FakeHttp({"https://crm.test/s1": HttpReply(200, {"score": 95})})
    runtime = await runtime_for(FETCH, memory_store, http=http, new_id=lambda: "s1")
    await runtime.start("fetch")
    await runtime.drain()
    session = await runtime.get("s1")
    assert (session.node, session.variables["result"]) == ("log", {"score": 95})
    assert session.calls == {} and session.timers == {}
    assert http.requests[0].idempotency_key == "s1:1"
    assert not await runtime.apply("s1", HttpResult(key="http:1", status=200, body={}))


async def test_a_call_lost_in_a_crash_is_reissued_by_its_watchdog_then_given_up(
    memory_store: MemoryStore, frozen_clock: FrozenClock
) -> None:
    hang = asyncio.Event()

    async def never(request: HttpRequest) -> HttpReply:
        await hang.wait()
        raise AssertionError("unreachable")

    crashed = await runtime_for(FETCH, memory_store, clock=frozen_clock, http=never)
    sid = await crashed.start("fetch")
    await asyncio.sleep(0)
    await crashed.aclose()  # the process dies with the call in flight

    http = FakeHttp()
    revived = Runtime(memory_store, KIT, clock=frozen_clock, http=http)
    frozen_clock.advance(34)
    assert await revived.fire_due_timers() == 0
    frozen_clock.advance(1)
    assert await revived.fire_due_timers() == 1
    await revived.drain()
    assert [r.idempotency_key for r in http.requests] == [f"{sid}:1"]
    assert (await revived.get(sid)).variables["result"] == "error: refused"

    lost = await revived.start("fetch")
    revived.http = never
    await asyncio.sleep(0)
    for _ in range(2):
        frozen_clock.advance(35)
        assert await revived.fire_due_timers() == 1
    session = await revived.get(lost)
    assert (session.node, session.variables["result"]) == ("log", "error: no reply")
    await revived.aclose()


async def test_without_an_http_client_the_node_hears_an_error(memory_store: MemoryStore) -> None:
    runtime = await runtime_for(FETCH, memory_store)
    sid = await runtime.start("fetch")
    await runtime.drain()
    assert (await runtime.get(sid)).variables["result"] == "error: no HTTP client configured"

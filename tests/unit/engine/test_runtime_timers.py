"""Timers in the runtime: the idle timeout, node timers that fire once and die with their node,
and HTTP calls whose answer comes back as an event (or is re-issued after a crash)."""

from __future__ import annotations

import asyncio

import pytest
from runtime_kit import KIT, FakeHttp, FakeQueue, runtime_for

from chatflow.engine.clock import FrozenClock
from chatflow.engine.effects import HttpReply, HttpRequest
from chatflow.engine.events import HttpResult, TimerFired, VisitorText
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

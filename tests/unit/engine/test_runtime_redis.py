"""Two runtimes on one Redis, as two workers: CAS + retries serialise a session's events.

Each runtime has its own ``RedisStore`` (its own connections), so the two really race on
Redis; nothing but the store's compare-and-set orders them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
from runtime_kit import KIT, runtime_for

from chatflow.engine.clock import FrozenClock
from chatflow.engine.events import TimerFired, VisitorText
from chatflow.engine.frames import Frame
from chatflow.engine.runtime import Runtime
from chatflow.engine.stores.redis import RedisStore

pytestmark = pytest.mark.anyio

LOG = """\
id: log
start: log
nodes:
  log: {type: log}
"""

TIMED = """\
id: timed
start: ask
vars: {x: ""}
settings: {idle_timeout: 60, idle_message: "bye"}
nodes:
  ask: {type: ask, prompt: "quick!", var: x, next: log, timeout: 30, on_timeout: log}
  log: {type: log}
"""


@pytest.fixture
async def stores(redis_url: str, redis_prefix: str) -> AsyncIterator[tuple[RedisStore, RedisStore]]:
    one, two = (
        RedisStore(redis_url, prefix=redis_prefix),
        RedisStore(redis_url, prefix=redis_prefix),
    )
    yield one, two
    await one.close()
    await two.close()


def texts(frames: list[Frame]) -> list[str]:
    return [f"{f.sender}: {f.text}" if f.type == "message" else f.type for f in frames]


async def test_concurrent_events_from_two_workers_apply_once_each_in_one_order(
    stores: tuple[RedisStore, RedisStore],
    frozen_clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    a = await runtime_for(LOG, stores[0], clock=frozen_clock)
    b = Runtime(stores[1], KIT, clock=frozen_clock)
    sid = await a.start("log")
    sent_a = [f"a{n}" for n in range(40)]
    sent_b = [f"b{n}" for n in range(40)]
    caplog.set_level(logging.INFO, logger="chatflow.engine.runtime")

    async def send(runtime: Runtime, texts: list[str]) -> None:
        await asyncio.gather(*(runtime.deliver(sid, VisitorText(f"k-{t}", t)) for t in texts))

    await asyncio.gather(send(a, sent_a), send(b, sent_b))
    # A client resending over the other worker changes nothing (idempotency key).
    await b.deliver(sid, VisitorText("k-a0", "a0"))

    assert any(r.message == "engine.conflict" for r in caplog.records), "the workers never raced"
    session = await a.get(sid)
    log = session.variables["log"]
    assert sorted(log) == sorted(sent_a + sent_b)  # each applied once
    assert [t for t in log if t[0] == "a"] == sent_a  # each worker keeps its delivery order
    assert [t for t in log if t[0] == "b"] == sent_b
    frames = await b.outputs(sid)
    assert [f.seq for f in frames] == list(range(1, len(frames) + 1))  # no gap, no duplicate
    assert session.last_seq == len(frames)
    echoed = [f.text for f in frames if f.sender == "visitor"]
    replies = [f.text.removeprefix("got ") for f in frames if f.sender == "bot"]
    assert echoed == log and replies == log  # the log and the transcript agree on one order


async def test_a_due_timer_fires_once_when_both_workers_poll(
    stores: tuple[RedisStore, RedisStore], frozen_clock: FrozenClock
) -> None:
    a = await runtime_for(TIMED, stores[0], clock=frozen_clock)
    b = Runtime(stores[1], KIT, clock=frozen_clock)
    sids = [await a.start("timed") for _ in range(10)]
    frozen_clock.advance(30)
    counts = await asyncio.gather(a.fire_due_timers(), b.fire_due_timers())
    assert sum(counts) == 10
    assert await a.fire_due_timers() == 0 and await b.fire_due_timers() == 0
    for sid in sids:
        assert texts(await b.outputs(sid)) == ["bot: quick!", "bot: too slow"]


async def test_a_double_fire_is_harmless_thanks_to_the_idempotency_key(
    stores: tuple[RedisStore, RedisStore], frozen_clock: FrozenClock
) -> None:
    a = await runtime_for(TIMED, stores[0], clock=frozen_clock)
    b = Runtime(stores[1], KIT, clock=frozen_clock)
    sid = await a.start("timed")
    frozen_clock.advance(30)
    [due] = [t for t in await stores[1].due_timers(frozen_clock.now()) if t.session_id == sid]
    event = TimerFired(key=due.key, name=due.name)
    # Both workers read the same due entry before either fired it, then both deliver it.
    first, second = await asyncio.gather(a.apply(sid, event), b.apply(sid, event))
    assert sorted([first, second]) == [False, True]
    assert not await a.apply(sid, event)
    assert texts(await a.outputs(sid)) == ["bot: quick!", "bot: too slow"]
    session = await b.get(sid)
    assert session.node == "log" and due.key in session.seen

"""Properties of event delivery: with repeats, concurrency and competing workers, every event
takes effect exactly once, and deliveries to one runtime take effect in the order they began."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from runtime_kit import KIT, runtime_for

from chatflow.engine.events import VisitorText
from chatflow.engine.frames import Frame
from chatflow.engine.runtime import Runtime
from chatflow.engine.session import Session, SessionStatus
from chatflow.engine.stores.base import DueTimer
from chatflow.engine.stores.memory import MemoryStore

FLOW = """\
id: log
start: log
vars: {log: []}
nodes:
  log: {type: log}
"""


class YieldingStore(MemoryStore):
    """The memory store, but every call lets other tasks run first, like real I/O would."""

    async def load(self, session_id: str) -> Session | None:
        await asyncio.sleep(0)
        return await super().load(session_id)

    async def save(
        self, session: Session, expected_version: int, outputs: Sequence[Frame] = ()
    ) -> None:
        await asyncio.sleep(0)
        await super().save(session, expected_version, outputs)

    async def due_timers(self, now: datetime, limit: int = 100) -> list[DueTimer]:
        await asyncio.sleep(0)
        return await super().due_timers(now, limit)

    async def find_sessions(self, status: SessionStatus, limit: int = 1_000) -> list[str]:
        return await super().find_sessions(status, limit)


deliveries = st.lists(
    st.tuples(st.integers(0, 12), st.integers(0, 3)),  # (event number, yields before delivering)
    min_size=1,
    max_size=40,
)


async def deliver_all(
    runtimes: Sequence[Runtime], sid: str, plan: list[tuple[int, int]], started: list[int]
) -> None:
    async def one(index: int, number: int, pause: int) -> None:
        for _ in range(pause):
            await asyncio.sleep(0)
        started.append(number)
        await runtimes[index % len(runtimes)].deliver(sid, VisitorText(f"k{number}", f"t{number}"))

    await asyncio.gather(*(one(i, n, p) for i, (n, p) in enumerate(plan)))


@settings(max_examples=150, deadline=None)
@given(deliveries)
def test_one_runtime_applies_each_event_once_in_the_order_deliveries_began(
    plan: list[tuple[int, int]],
) -> None:
    async def run() -> None:
        store = YieldingStore()
        runtime = await runtime_for(FLOW, store, new_id=lambda: "s1")
        await runtime.start("log")
        started: list[int] = []
        await deliver_all([runtime], "s1", plan, started)
        expected = [f"t{n}" for n in dict.fromkeys(started)]
        session = await runtime.get("s1")
        assert session.variables["log"] == expected
        assert session.state == {"count": len(expected)}
        frames = await runtime.outputs("s1")
        assert [f.seq for f in frames] == list(range(1, len(frames) + 1))
        assert [f.text for f in frames if f.sender == "visitor"] == expected

    asyncio.run(run())


@settings(max_examples=100, deadline=None)
@given(deliveries)
def test_competing_workers_on_one_store_apply_each_event_exactly_once(
    plan: list[tuple[int, int]],
) -> None:
    async def run() -> None:
        store = YieldingStore()
        first = await runtime_for(FLOW, store, new_id=lambda: "s1")
        await first.start("log")
        workers = [first, Runtime(store, KIT), Runtime(store, KIT)]
        await deliver_all(workers, "s1", plan, [])
        session = await first.get("s1")
        log = session.variables["log"]
        assert sorted(log) == sorted({f"t{n}" for n, _ in plan})
        frames = await first.outputs("s1")
        assert [f.seq for f in frames] == list(range(1, len(frames) + 1))
        assert [f.text for f in frames if f.sender == "visitor"] == log
        assert session.version == 1 + len(log)

    asyncio.run(run())

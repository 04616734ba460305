"""The runtime keeps the sessions it saved in memory; the store's compare-and-set still decides.

Two runtimes on one store stand for two workers: each keeps its own copies, so each sees the
other's writes only through a lost compare-and-set. And a save the store commits is never lost
to a cancelled caller: listeners still hear of it and effects still run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from runtime_kit import KIT, runtime_for

from chatflow.engine.events import VisitorText
from chatflow.engine.frames import Frame
from chatflow.engine.runtime import Runtime
from chatflow.engine.stores.base import SessionStore

pytestmark = pytest.mark.anyio

LOG = """\
id: log
start: log
vars: {log: []}
nodes:
  log: {type: log}
"""


async def test_a_copy_made_stale_by_another_worker_costs_a_retry_not_a_lost_event(
    store: SessionStore,
) -> None:
    one = await runtime_for(LOG, store)
    two = Runtime(store, KIT)
    sid = await one.start("log")
    assert await one.apply(sid, VisitorText("k1", "a"))
    assert await two.apply(sid, VisitorText("k2", "b"))  # one's copy is now a version behind
    assert await one.apply(sid, VisitorText("k3", "c"))
    session = await store.load(sid)
    assert session is not None
    assert session.variables["log"] == ["a", "b", "c"]
    assert session.version == 4
    frames = await store.read_outputs(sid)
    assert [f.text for f in frames] == ["a", "got a", "b", "got b", "c", "got c"]
    assert [f.seq for f in frames] == [1, 2, 3, 4, 5, 6]


async def test_a_stale_copy_never_decides_that_an_event_is_ignored(store: SessionStore) -> None:
    one = await runtime_for(LOG, store)
    two = Runtime(store, KIT)
    sid = await one.start("log")
    assert await one.apply(sid, VisitorText("k1", "a"))
    assert await two.apply(sid, VisitorText("k2", "bye"))  # ended, behind one's back
    assert not await one.apply(sid, VisitorText("k3", "c"))
    assert not await one.apply(sid, VisitorText("k1", "a"))  # and a repeat stays a repeat
    session = await store.load(sid)
    assert session is not None and session.status == "ended"
    assert session.variables["log"] == ["a"]


async def test_a_key_seen_by_another_worker_is_not_applied_twice(store: SessionStore) -> None:
    one = await runtime_for(LOG, store)
    two = Runtime(store, KIT)
    sid = await one.start("log")
    assert await one.apply(sid, VisitorText("k0", "first"))
    assert await two.apply(sid, VisitorText("k1", "a"))  # a resend reaching two workers
    assert not await one.apply(sid, VisitorText("k1", "a"))
    session = await store.load(sid)
    assert session is not None and session.variables["log"] == ["first", "a"]


async def test_a_save_committed_while_its_caller_is_cancelled_still_reaches_listeners(
    suspending_store: SessionStore,
) -> None:
    store = suspending_store
    heard: list[str] = []

    def listener(_sid: str, frames: Sequence[Frame]) -> None:
        heard.extend(f.text for f in frames if f.sender == "bot")

    runtime = await runtime_for(LOG, store, listeners=[listener])
    sid = await runtime.start("log")
    applying = asyncio.create_task(runtime.apply(sid, VisitorText("k1", "a")))
    await asyncio.sleep(0)  # the task runs until it waits for its write
    applying.cancel()
    with pytest.raises(asyncio.CancelledError):
        await applying
    session = await store.load(sid)
    assert session is not None and session.version == 2  # the write landed...
    assert heard == ["got a"]  # ...so its listeners heard of it
    assert await runtime.apply(sid, VisitorText("k2", "b"))  # and the runtime goes on

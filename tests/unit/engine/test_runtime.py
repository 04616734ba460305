"""The runtime core: starting, applying events once, chaining with a step limit, the output log,
version pinning, and failures that never reach the visitor as a stack trace."""

from __future__ import annotations

import logging

import pytest
from runtime_kit import KIT, runtime_for

from chatflow.engine.clock import FrozenClock
from chatflow.engine.errors import (
    DefinitionError,
    NotFoundError,
    RuntimeFlowError,
    StepLimitError,
)
from chatflow.engine.events import Choice, VisitorText
from chatflow.engine.frames import Frame
from chatflow.engine.runtime import Runtime
from chatflow.engine.session import MAX_SEEN_KEYS, Session
from chatflow.engine.stores.memory import MemoryStore

pytestmark = pytest.mark.anyio

FLOW = """\
id: demo
start: hello
vars: {name: "", log: []}
nodes:
  hello: {type: say, text: "hi {{ sys.channel_name }}", next: ask}
  ask: {type: ask, prompt: "name?", var: name, next: thanks, options: [Ann, Bob]}
  thanks: {type: say, text: "thanks {{ name }}, you said {{ sys.last_input }}", next: log}
  log: {type: log}
"""


def texts(frames: list[Frame]) -> list[str]:
    return [f"{f.sender}: {f.text}" if f.type == "message" else f.type for f in frames]


async def test_start_enters_the_start_node_and_chains_until_a_node_waits(
    memory_store: MemoryStore, frozen_clock: FrozenClock
) -> None:
    runtime = await runtime_for(FLOW, memory_store, clock=frozen_clock, new_id=lambda: "s1")
    sid = await runtime.start("demo", merchant="acme", visitor_id="v9", channel_name="Acme")
    assert sid == "s1"
    session = await runtime.get(sid)
    assert (session.node, session.status, session.version) == ("ask", "active", 1)
    assert session.state == {"asked": 1}
    assert (session.merchant, session.sys.visitor_id) == ("acme", "v9")
    frames = await runtime.outputs(sid)
    assert texts(frames) == ["bot: hi Acme", "bot: name?"]
    assert [f.seq for f in frames] == [1, 2]
    assert frames[1].to_json() == {
        "type": "message",
        "seq": 2,
        "from": "bot",
        "text": "name?",
        "options": ["Ann", "Bob"],
        "at": "2026-11-23T02:00:00+00:00",
    }


async def test_an_event_is_echoed_with_its_client_id_and_moves_the_flow(
    memory_store: MemoryStore,
) -> None:
    runtime = await runtime_for(FLOW, memory_store)
    sid = await runtime.start("demo", variables={"log": ["before"]})
    assert await runtime.apply(sid, Choice("c-1", "Bob", client_id="m1"))
    session = await runtime.get(sid)
    assert (session.node, session.variables["name"], session.sys.last_input) == (
        "log",
        "Bob",
        "Bob",
    )
    frames = await runtime.outputs(sid, after=2)
    assert frames[0].to_json()["id"] == "m1"
    assert texts(frames) == ["visitor: Bob", "bot: thanks Bob, you said Bob"]
    assert session.variables["log"] == ["before"]


async def test_a_repeated_key_is_ignored(memory_store: MemoryStore) -> None:
    runtime = await runtime_for(FLOW, memory_store)
    sid = await runtime.start("demo")
    await runtime.deliver(sid, VisitorText("k1", "Ann"))
    await runtime.deliver(sid, VisitorText("k2", "one"))
    before = await runtime.get(sid)
    assert not await runtime.apply(sid, VisitorText("k2", "one"))
    assert not await runtime.apply(sid, VisitorText("k1", "Ann"))
    after = await runtime.get(sid)
    assert after == before
    assert after.variables["log"] == ["one"]
    assert len(await runtime.outputs(sid)) == 6


def test_a_session_remembers_only_the_last_thousand_keys() -> None:
    session = Session(id="s", flow_id="f", flow_version="v", node="n")
    for n in range(MAX_SEEN_KEYS + 5):
        session.remember(f"k{n}")
    session.remember("k10")
    assert len(session.seen) == MAX_SEEN_KEYS
    assert session.seen[0] == "k5"
    assert not session.has_seen("k4") and session.has_seen("k5")
    assert session.seen_count == MAX_SEEN_KEYS + 5
    assert "k1004" not in session.dumps()  # the stores keep keys beside the document


def test_a_document_from_before_keys_moved_out_keeps_its_keys_as_unsaved() -> None:
    session = Session(id="s", flow_id="f", flow_version="v", node="n")
    legacy = {**session.to_json(), "seen": ["a", "b"]}
    del legacy["seen_count"]
    loaded = Session.from_json(legacy)
    assert loaded.has_seen("a") and loaded.seen_count == 2
    assert loaded.unsaved_keys() == [(0, "a"), (1, "b")]


LOOP = """\
id: loop
start: ask
nodes:
  ask: {type: ask, prompt: "go?", var: x, next: a}
  a: {type: jump, next: b}
  b: {type: say, text: "again", next: a}
"""


async def test_a_loop_without_input_stops_at_the_step_limit_and_changes_nothing(
    memory_store: MemoryStore,
) -> None:
    runtime = await runtime_for(LOOP, memory_store, step_limit=10)
    sid = await runtime.start("loop")
    with pytest.raises(StepLimitError) as info:
        await runtime.deliver(sid, VisitorText("k1", "yes"))
    error = info.value
    assert error.flow_id == "loop"
    assert "10 nodes without waiting" in str(error)
    assert "a -> b -> a -> b" in str(error) and "nodes visited: a, b" in str(error)
    session = await runtime.get(sid)
    assert (session.node, session.version, session.variables) == ("ask", 1, {})
    assert not session.has_seen("k1")
    assert len(await runtime.outputs(sid)) == 1


async def test_a_start_that_fails_stores_no_session(memory_store: MemoryStore) -> None:
    runtime = await runtime_for(LOOP.replace("start: ask", "start: a"), memory_store)
    with pytest.raises(StepLimitError, match="100 nodes"):
        await runtime.start("loop", session_id="s1")
    assert await memory_store.load("s1") is None


BROKEN = """\
id: broken
start: hello
vars: {zero: 0}
nodes:
  hello: {type: say, text: "total: {{ 1 / zero }} yuan", next: ask}
  ask: {type: ask, prompt: "{{ zero.nope.deeper }}", var: x, next: bug}
  bug: {type: boom}
"""


async def test_a_failing_template_is_logged_and_the_visitor_gets_plain_text(
    memory_store: MemoryStore, caplog: pytest.LogCaptureFixture
) -> None:
    runtime = await runtime_for(BROKEN, memory_store)
    with caplog.at_level(logging.WARNING, logger="chatflow.engine"):
        sid = await runtime.start("broken")
    assert texts(await runtime.outputs(sid)) == [
        "bot: total: yuan",
        "bot: 抱歉，这条消息暂时无法显示。",
    ]
    failures = [r for r in caplog.records if r.msg == "engine.template_failed"]
    assert [(r.__dict__["flow_id"], r.__dict__["node_id"]) for r in failures] == [
        ("broken", "hello"),
        ("broken", "ask"),
    ]
    assert "division by zero" in failures[0].__dict__["error"]


async def test_a_node_that_raises_becomes_a_flow_error_naming_flow_and_node(
    memory_store: MemoryStore,
) -> None:
    runtime = await runtime_for(BROKEN, memory_store)
    sid = await runtime.start("broken")
    with pytest.raises(RuntimeFlowError) as info:
        await runtime.deliver(sid, VisitorText("k1", "x"))
    assert (info.value.flow_id, info.value.node_id) == ("broken", "bug")
    assert str(info.value) == (
        "boom node failed in enter(): ZeroDivisionError: division by zero "
        "(flow 'broken', node 'bug')"
    )
    assert (await runtime.get(sid)).node == "ask"


async def test_a_running_session_keeps_its_flow_version(memory_store: MemoryStore) -> None:
    runtime = await runtime_for(FLOW, memory_store)
    old = await runtime.start("demo")
    _, v2 = await runtime.publish(FLOW.replace("thanks {{ name }}", "merci {{ name }}"))
    new = await runtime.start("demo")
    assert (await runtime.get(new)).flow_version == v2
    # A fresh runtime (a restart) loads each pinned version from the store.
    again = Runtime(memory_store, KIT)
    await again.deliver(old, VisitorText("k1", "Ann"))
    await again.deliver(new, VisitorText("k1", "Ann"))
    assert texts(await again.outputs(old))[-1] == "bot: thanks Ann, you said Ann"
    assert texts(await again.outputs(new))[-1] == "bot: merci Ann, you said Ann"
    pinned = await runtime.start("demo", version=(await runtime.get(old)).flow_version)
    assert (await runtime.get(pinned)).flow_version != v2


async def test_unknown_sessions_flows_and_versions_are_not_found(memory_store: MemoryStore) -> None:
    runtime = await runtime_for(FLOW, memory_store)
    with pytest.raises(NotFoundError, match="no session 'nope'"):
        await runtime.deliver("nope", VisitorText("k", "x"))
    with pytest.raises(NotFoundError, match="no version of this flow"):
        await runtime.start("other")
    with pytest.raises(NotFoundError, match="flow version 'abc'"):
        await runtime.start("demo", version="abc")


async def test_publishing_an_invalid_flow_reports_its_problems(memory_store: MemoryStore) -> None:
    runtime = Runtime(memory_store, KIT)
    with pytest.raises(DefinitionError) as info:
        await runtime.publish("id: bad\nstart: x\nnodes: {x: {type: nope}}\n", "bad.flow.yaml")
    assert "unknown node type 'nope'" in str(info.value)
    assert await memory_store.latest_flow_version("bad") is None


async def test_listeners_hear_each_saved_frame_once_in_order(memory_store: MemoryStore) -> None:
    heard: list[tuple[str, int]] = []
    runtime = await runtime_for(
        FLOW,
        memory_store,
        listeners=[lambda sid, frames: heard.extend((sid, f.seq) for f in frames)],
        new_id=lambda: "s1",
    )
    await runtime.start("demo")
    await runtime.deliver("s1", VisitorText("k1", "Ann"))
    await runtime.deliver("s1", VisitorText("k1", "Ann"))
    assert heard == [("s1", n) for n in range(1, 5)]
    assert [f.seq for f in await runtime.outputs("s1")] == [1, 2, 3, 4]


async def test_events_to_an_ended_session_are_ignored(memory_store: MemoryStore) -> None:
    runtime = await runtime_for(FLOW, memory_store)
    sid = await runtime.start("demo")
    await runtime.deliver(sid, VisitorText("k1", "Ann"))
    await runtime.deliver(sid, VisitorText("k2", "bye"))
    session = await runtime.get(sid)
    assert (session.status, session.end_reason) == ("ended", "flow")
    assert texts(await runtime.outputs(sid, after=4)) == ["visitor: bye", "bot: goodbye", "ended"]
    assert not await runtime.apply(sid, VisitorText("k3", "hello?"))
    assert (await runtime.get(sid)).version == session.version

"""The idle timeout during a human service, over a real server on a frozen clock: the visitor
who never answers the agent is signed off, and the agent and the records learn it was the timer.
The server's own timer loop fires the timer once the clock has moved; nothing sleeps for it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from agent_world import Agent, LiveServer, Visitor, frame, running, says

from chatflow.engine.clock import FrozenClock
from chatflow.engine.stats import reception_micros

IDLE_MESSAGE = "由于您长时间未回复，本次服务已自动结束。"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock("2026-11-23T10:00:00+08:00")


@pytest.fixture
def server(tmp_path: Path, cheap_argon2: None, clock: FrozenClock) -> Iterator[LiveServer]:
    with running(tmp_path, clock) as live:
        yield live


def test_a_visitor_who_never_answers_the_agent_is_closed_by_the_timer(
    server: LiveServer, clock: FrozenClock
) -> None:
    start = clock.now()
    bob = Agent(server, "acme_bob")
    bob.connect()
    visitor = Visitor(server, "acme-web")
    visitor.choose("售前")
    sid = visitor.session_id
    bob.frames.expect(frame("offer", session_id=sid))
    bob.ok(sid, "accept")
    visitor.ws.expect(frame("agent_joined"))
    visitor.say("在吗？")
    bob.frames.expect(says("在吗？", "visitor"))
    assert bob.say(sid, "在的，请问有什么可以帮您？").status_code == 202
    visitor.ws.expect(says("请问有什么可以帮您", "agent"))

    clock.advance(600)  # acme_reception: agent_idle_timeout 600, idle_timeout 0
    visitor.ws.expect(says(IDLE_MESSAGE, "system"))
    visitor.ws.expect(frame("ended", reason="idle"))
    bob.frames.expect(frame("session_ended", session_id=sid, closed_by="timer"))
    row = server.record_when(sid, lambda r: r.status == "ended" and r.closed_by is not None)
    assert (row.end_reason, row.closed_by, row.agent_account) == ("idle", "timer", "acme_bob")
    assert row.service_ended_at == start + timedelta(seconds=600)
    assert reception_micros(row) == 600_000_000
    assert bob.get(f"/api/v1/records/{sid}")["closed_by"] == "timer"
    assert bob.act(sid, "messages", {"text": "还在吗？"}).status_code == 409

"""AgentConnection: the transcript of a served session, live lines, and nothing lost at the end."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from chatflow.admin_api.agent_hub import AgentConnection, AgentHub
from chatflow.engine.clock import FrozenClock
from chatflow.engine.config import Agent
from chatflow.engine.feed import OutputFeed
from chatflow.engine.frames import Frame
from chatflow.engine.routing import QueueService

pytestmark = pytest.mark.anyio


class FakeSocket:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.closed: int | None = None

    async def send_json(self, data: dict[str, Any]) -> None:
        self.sent.append(data)

    async def close(self, code: int = 1000) -> None:
        self.closed = code


class FakeRuntime:
    """The output log of one session."""

    def __init__(self) -> None:
        self.log: list[Frame] = []
        self.clock = FrozenClock("2026-11-23T10:05:00+08:00")

    def add(self, sender: str, text: str, author: str = "") -> None:
        body = {"from": sender, "text": text}
        at = "2026-11-23T02:00:00+00:00"
        self.log.append(Frame(len(self.log) + 1, "message", body, at, author))

    def joined(self, staff_no: str, nickname: str, at: str) -> None:
        body = {"staff_no": staff_no, "nickname": nickname}
        self.log.append(Frame(len(self.log) + 1, "agent_joined", body, at))

    async def outputs(self, session_id: str, after: int = 0, limit: int = 500) -> list[Frame]:
        return [f for f in self.log if f.seq > after][:limit]


async def until(check: Any) -> None:
    for _ in range(200):
        if check():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition not reached")


def connection(
    names: dict[str, str] | None = None,
) -> tuple[AgentConnection, FakeSocket, FakeRuntime, OutputFeed]:
    socket, runtime, feed = FakeSocket(), FakeRuntime(), OutputFeed()
    known = names or {}
    conn = AgentConnection(
        socket,  # type: ignore[arg-type]
        "bob",
        1,
        "token",
        runtime,  # type: ignore[arg-type]
        feed,
        names=lambda account: known.get(account, ""),
    )
    return conn, socket, runtime, feed


async def test_replay_then_live_then_everything_before_the_end() -> None:
    conn, socket, runtime, feed = connection()
    runtime.add("bot", "欢迎")
    runtime.add("visitor", "售前")
    writer = asyncio.create_task(conn.write())
    conn.push({"type": "assigned", "session_id": "s1", "group": "presales"})
    conn.push({"type": "assigned", "session_id": "s1", "group": "presales"})  # a resume race
    await until(lambda: len(socket.sent) == 3)
    assert [f["type"] for f in socket.sent] == ["assigned", "message", "message"]
    assert [(f["seq"], f["from"], f.get("replay")) for f in socket.sent[1:]] == [
        (1, "bot", True),
        (2, "visitor", True),
    ]

    runtime.add("visitor", "在吗")
    feed.notify("s1")
    await until(lambda: len(socket.sent) == 4)
    assert socket.sent[3]["text"] == "在吗" and "replay" not in socket.sent[3]

    runtime.add("visitor", "再见")  # written, but the reader was not woken before the end
    conn.push({"type": "session_ended", "session_id": "s1", "closed_by": "client"})
    await until(lambda: len(socket.sent) == 6)
    assert [f.get("text", f["type"]) for f in socket.sent[4:]] == ["再见", "session_ended"]
    assert feed.subscribers("s1") == 0

    runtime.add("system", "本次服务已结束")
    feed.notify("s1")
    conn.close(4401)
    await writer
    assert socket.closed == 4401 and len(socket.sent) == 6
    await conn.stop()


async def test_an_agents_line_names_its_author_in_the_replay_and_live() -> None:
    conn, socket, runtime, feed = connection({"alice01": "Alice", "bob": "Bob"})
    runtime.add("agent", "早上好")  # logged before the log kept authors
    runtime.add("agent", "您好，我是 Alice", author="alice01")
    writer = asyncio.create_task(conn.write())
    conn.push({"type": "assigned", "session_id": "s1", "group": "presales", "invited": True})
    await until(lambda: len(socket.sent) == 3)
    runtime.add("agent", "我是 Bob", author="bob")
    runtime.add("agent", "还有我", author="carol")  # an account the queue does not name
    feed.notify("s1")
    await until(lambda: len(socket.sent) == 5)
    lines = [(f["text"], f.get("author"), f.get("author_nickname")) for f in socket.sent[1:]]
    assert lines == [
        ("早上好", None, None),
        ("您好，我是 Alice", "alice01", "Alice"),
        ("我是 Bob", "bob", "Bob"),
        ("还有我", "carol", None),
    ]
    conn.close(1000)
    await writer
    await conn.stop()


class NoSessions:
    async def deliver(self, session_id: str, event: object) -> None:
        raise AssertionError("no session events expected")


async def test_status_frames_carry_the_reason_until_the_agent_is_free() -> None:
    hub = AgentHub()
    hub.queue = queue = QueueService(NoSessions(), hub)  # type: ignore[arg-type]
    await queue.register_agent(
        "acme", Agent(account="bob0001", password_hash="x", nickname="Bob", staff_no="2"), "bob"
    )
    assert (queue.nickname("bob"), queue.nickname("nobody")) == ("Bob", "")  # authors' names
    conn, socket, _runtime, _feed = connection()
    hub.attach(conn)
    await queue.attach("bob")
    writer = asyncio.create_task(conn.write())
    await queue.login("bob", "rest", "午餐")
    await queue.set_status("bob", "free", "ignored")
    await queue.set_status("bob", "busy")
    await until(lambda: len(socket.sent) == 3)
    assert socket.sent == [
        {"type": "status", "status": "rest", "reason": "午餐"},
        {"type": "status", "status": "free"},
        {"type": "status", "status": "busy"},
    ]
    conn.close(1000)
    await writer
    hub.logout_grace = 0
    hub.detach(conn)
    await until(lambda: not queue.connected("bob"))
    assert queue.dispatcher.agent("bob").status == "offline"  # type: ignore[union-attr]
    await hub.aclose()
    assert not hub.online("bob")


async def test_joins_come_with_the_transcript_and_assigned_carries_the_servers_time() -> None:
    conn, socket, runtime, feed = connection()
    runtime.add("visitor", "售前")
    runtime.joined("1001", "Alice", "2026-11-23T02:01:00+00:00")
    runtime.add("agent", "您好", author="alice")
    writer = asyncio.create_task(conn.write())
    conn.push({"type": "assigned", "session_id": "s1", "group": "presales"})
    await until(lambda: len(socket.sent) == 4)
    assigned, _, joined, _ = socket.sent
    assert assigned["at"] == "2026-11-23T10:05:00+08:00"
    assert joined == {
        "type": "joined",
        "session_id": "s1",
        "seq": 2,
        "staff_no": "1001",
        "nickname": "Alice",
        "at": "2026-11-23T02:01:00+00:00",
        "replay": True,
    }
    runtime.joined("1002", "Bob", "2026-11-23T02:09:00+00:00")  # an invited colleague, live
    feed.notify("s1")
    await until(lambda: len(socket.sent) == 5)
    assert socket.sent[4]["type"] == "joined" and "replay" not in socket.sent[4]
    assert socket.sent[4]["nickname"] == "Bob"
    conn.close(1000)
    await writer


async def test_a_followed_topic_reaches_the_client_until_the_connection_stops() -> None:
    conn, socket, _runtime, feed = connection()
    writer = asyncio.create_task(conn.write())
    conn.follow("agent:1")
    conn.follow("merchant:acme")
    feed.push("agent:1", {"type": "marks", "session_id": "s1", "pinned": True, "muted": False})
    feed.push("agent:2", {"type": "marks", "session_id": "s9", "pinned": True, "muted": False})
    feed.push("merchant:globex", {"type": "apps"})
    feed.push("merchant:acme", {"type": "apps"})
    feed.push("s1", {"type": "typing", "from": "agent"})  # a session's live frame: not followed
    await until(lambda: len(socket.sent) == 2)
    await asyncio.sleep(0.02)
    assert sorted(f["type"] for f in socket.sent) == ["apps", "marks"]
    assert [f["session_id"] for f in socket.sent if f["type"] == "marks"] == ["s1"]
    await conn.stop()
    assert (feed.subscribers("agent:1"), feed.subscribers("merchant:acme")) == (0, 0)
    feed.push("agent:1", {"type": "marks", "session_id": "s2", "pinned": True, "muted": False})
    conn.close(1000)
    await writer
    assert len(socket.sent) == 2

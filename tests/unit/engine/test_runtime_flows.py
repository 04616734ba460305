"""The runtime with the real node types on the shipped flows: the two halves fit together."""

from __future__ import annotations

from pathlib import Path

import pytest
from runtime_kit import FakeQueue

from chatflow.engine.clock import FrozenClock
from chatflow.engine.events import (
    AgentEnded,
    AgentJoined,
    AgentMessage,
    Choice,
    QueuePosition,
    Rating,
    VisitorText,
)
from chatflow.engine.frames import Frame
from chatflow.engine.runtime import Runtime
from chatflow.engine.stores.memory import MemoryStore
from chatflow.nodes import LANGUAGE

pytestmark = pytest.mark.anyio

FLOWS = Path(__file__).resolve().parents[3] / "flows"


def texts(frames: list[Frame]) -> list[str]:
    return [f"{f.sender}: {f.text}" if f.type == "message" else f.type for f in frames]


async def reception(clock: FrozenClock, queue: FakeQueue) -> tuple[Runtime, str]:
    runtime = Runtime(MemoryStore(), LANGUAGE, clock=clock, handoff=queue)
    await runtime.publish((FLOWS / "reception.flow.yaml").read_text(encoding="utf-8"))
    sid = await runtime.start("reception", merchant="acme", channel_name="Acme 官网")
    return runtime, sid


@pytest.mark.parametrize("path", sorted(FLOWS.glob("*.flow.yaml")), ids=lambda p: p.name)
async def test_every_shipped_flow_starts_and_answers(path: Path, frozen_clock: FrozenClock) -> None:
    queue = FakeQueue()
    runtime = Runtime(MemoryStore(), LANGUAGE, clock=frozen_clock, handoff=queue)
    flow_id, _ = await runtime.publish(path.read_text(encoding="utf-8"))
    sid = await runtime.start(flow_id, channel_name="Acme")
    await runtime.deliver(sid, VisitorText("k1", "1"))
    await runtime.deliver(sid, VisitorText("k2", "你好"))
    frozen_clock.advance(3600)
    await runtime.fire_due_timers()
    await runtime.drain()
    frames = await runtime.outputs(sid)
    assert frames[0].type == "message" and frames[0].sender == "bot"
    assert [f.seq for f in frames] == list(range(1, len(frames) + 1))


async def test_the_reception_flow_from_welcome_to_goodbye(frozen_clock: FrozenClock) -> None:
    queue = FakeQueue()
    runtime, sid = await reception(frozen_clock, queue)
    await runtime.deliver(sid, Choice("k1", "售前咨询", client_id="m1"))
    await runtime.drain()
    assert queue.calls == [("enqueue", sid, "acme", "presales", "0")]
    await runtime.deliver(sid, QueuePosition("q1", ahead=1))
    await runtime.deliver(
        sid, AgentJoined("a1", agent_id="alice", staff_no="1001", nickname="Alice")
    )
    await runtime.deliver(sid, VisitorText("k2", "多少钱？"))
    await runtime.deliver(sid, AgentMessage("a2", agent_id="alice", text="99 元"))
    await runtime.deliver(sid, AgentEnded("a3"))
    await runtime.deliver(sid, Rating("r1", 5))
    await runtime.drain()
    assert queue.calls[1:] == []  # the agent reads "多少钱？" in the log, like the visitor
    frames = await runtime.outputs(sid)
    shown = texts(frames)
    assert shown[0] == "bot: 您好，欢迎咨询Acme 官网！"
    assert shown[2:] == [
        "visitor: 售前咨询",
        "queue",
        "bot: 您前面还有 1 位访客，请耐心等待。",
        "agent_joined",
        "bot: 客服 Alice（工号 1001）为您服务。",
        "visitor: 多少钱？",
        "agent: 99 元",
        "system: 本次服务已结束，感谢您的支持。",
        "survey",
        "visitor: 5",
        "bot: 感谢您的评价！",
        "bot: 感谢您的咨询，再见！",
        "ended",
    ]
    assert frames[2].to_json()["id"] == "m1"
    assert frames[1].to_json()["options"] == ["售前咨询", "售后服务", "人工客服"]
    session = await runtime.get(sid)
    assert (session.status, session.end_reason) == ("ended", "flow")


async def test_the_reception_flow_interrupt_and_idle_timeout(frozen_clock: FrozenClock) -> None:
    queue = FakeQueue()
    runtime, sid = await reception(frozen_clock, queue)
    await runtime.deliver(sid, VisitorText("k1", "Human"))
    assert (await runtime.get(sid)).node == "to_agent"
    idle, quiet = await reception(frozen_clock, queue)
    frozen_clock.advance(300)
    assert await idle.fire_due_timers() == 1
    session = await idle.get(quiet)
    assert (session.status, session.end_reason) == ("ended", "idle")
    assert texts(await idle.outputs(quiet))[-2:] == [
        "system: 由于您长时间未回复，本次服务已自动结束，感谢您的支持。",
        "ended",
    ]

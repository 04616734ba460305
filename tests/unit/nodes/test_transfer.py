from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from pydantic import ValidationError

from chatflow.engine.effects import (
    CancelTimer,
    Enqueue,
    LeaveQueue,
    Say,
    StartTimer,
)
from chatflow.engine.events import (
    AgentEnded,
    AgentJoined,
    AgentMessage,
    Choice,
    Event,
    NoAgents,
    QueuePosition,
    Rating,
    TimerFired,
    VisitorText,
)

if TYPE_CHECKING:
    from conftest import Make, Session

AGENT: dict[str, Any] = {"type": "transfer", "group": "presales", "next": "survey"}


def queue(s: Session, ahead: int) -> Any:
    """What the runtime does before the node sees a QueuePosition: set ``sys.wait_no``."""
    s.ctx.variables["sys"]["wait_no"] = ahead
    return s.send(QueuePosition(key=f"q{ahead}", ahead=ahead))


def join(s: Session, staff_no: str = "1001", nickname: str = "Alice") -> Any:
    s.ctx.variables["sys"].update(staff_no=staff_no, staff_nickname=nickname)
    return s.send(AgentJoined(key="j", agent_id="a1", staff_no=staff_no, nickname=nickname))


def test_enter_queues_for_the_group_and_waits(make: Make) -> None:
    out = make({**AGENT, "priority": 5}).enter()
    assert out.waits
    assert out.effects == (Enqueue("presales", 5),)
    assert out.state == {"phase": "queued"}


def test_enter_with_a_timeout_starts_the_queue_timer(make: Make) -> None:
    out = make({**AGENT, "timeout": 120}, node_id="to_agent").enter()
    assert out.effects == (Enqueue("presales", 0), StartTimer("to_agent:queue", 120))


def test_queue_message_on_first_position_and_on_every_change(make: Make) -> None:
    s = make(AGENT)
    s.enter()
    assert s.said(queue(s, 3)) == ["您前面还有 3 位访客，请耐心等待。"]
    out = queue(s, 3)
    assert out.waits and out.effects == ()
    assert s.said(queue(s, 1)) == ["您前面还有 1 位访客，请耐心等待。"]
    assert s.said(queue(s, 0)) == ["您前面还有 0 位访客，请耐心等待。"]


def test_seed_alias_in_queue_message(make: Make) -> None:
    s = make({**AGENT, "queue_message": "当前有${WaitNo}人排队中"})
    s.enter()
    assert s.said(queue(s, 2)) == ["当前有2人排队中"]


def test_no_queue_message_configured_says_nothing(make: Make) -> None:
    s = make({**AGENT, "queue_message": None})
    s.enter()
    out = queue(s, 2)
    assert out.waits and out.effects == () and out.state["ahead"] == 2


def test_agent_joins_connected_message_and_cancels_the_timer(make: Make) -> None:
    s = make({**AGENT, "timeout": 60}, node_id="to_agent")
    s.enter()
    out = join(s, "00790", "小王")
    assert out.waits
    assert out.effects == (CancelTimer("to_agent:queue"), Say("客服 小王（工号 00790）为您服务。"))
    assert out.state == {"phase": "with_agent", "agent": "a1"}


def test_seed_aliases_in_connected_message(make: Make) -> None:
    s = make({**AGENT, "connected_message": "转接人工成功,${StaffNo}号客服为您服务。"})
    s.enter()
    assert s.said(join(s, "00790")) == ["转接人工成功,00790号客服为您服务。"]


def test_with_an_agent_visitor_text_needs_nothing_from_the_node(make: Make) -> None:
    """The runtime echoes it into the log, where the agents read it verbatim."""
    s = make(AGENT)
    s.enter()
    join(s)
    out = s.send(VisitorText(key="v", text="请问 {{ sys.session_id }} 怎么退款"))
    assert out.waits and out.effects == () and s.said(out) == []
    assert out.state["phase"] == "with_agent"
    assert s.send(Choice(key="c", value="售后服务")).effects == ()


def test_agent_messages_reach_the_visitor_unrendered(make: Make) -> None:
    s = make(AGENT)
    s.enter()
    join(s)
    out = s.send(AgentMessage(key="m", agent_id="a1", text="您好 {{ 1 + 1 }}"))
    assert out.waits and out.effects == (Say("您好 {{ 1 + 1 }}", sender="agent", author="a1"),)


def test_while_queued_visitor_text_just_waits(make: Make) -> None:
    s = make(AGENT)
    s.enter()
    queue(s, 2)
    out = s.send(VisitorText(key="v", text="还要等多久"))
    assert out.waits and out.effects == () and out.state == {"phase": "queued", "ahead": 2}


def test_agent_ended_continues_at_next(make: Make) -> None:
    s = make(AGENT)
    s.enter()
    join(s)
    out = s.send(AgentEnded(key="e", closed_by="seat"))
    assert out.goto == "survey" and out.effects == ()


def test_agent_ended_without_next_ends_the_session_for_the_agent_reason(make: Make) -> None:
    s = make({**AGENT, "next": None})
    s.enter()
    join(s)
    out = s.send(AgentEnded(key="e", closed_by="client"))
    assert out.end == "agent" and out.goto is None


def test_queue_timeout_leaves_the_queue_for_on_timeout(make: Make) -> None:
    s = make({**AGENT, "timeout": 60, "on_timeout": "leave_message"}, node_id="t")
    s.enter()
    out = s.send(TimerFired(key="t", name="t:queue"))
    assert out.goto == "leave_message" and out.effects == (LeaveQueue(),)


def test_queue_timeout_without_on_timeout_ends_the_session(make: Make) -> None:
    s = make({**AGENT, "timeout": 60}, node_id="t")
    s.enter()
    out = s.send(TimerFired(key="t", name="t:queue"))
    assert out.end == "flow" and out.effects == (LeaveQueue(),)


def test_queue_timer_after_an_agent_joined_is_ignored(make: Make) -> None:
    s = make({**AGENT, "timeout": 60, "on_timeout": "x"}, node_id="t")
    s.enter()
    join(s)
    out = s.send(TimerFired(key="t", name="t:queue"))
    assert out.waits and out.effects == () and out.state["phase"] == "with_agent"


def test_no_agents_goes_to_on_no_agents_leaving_the_queue(make: Make) -> None:
    s = make({**AGENT, "timeout": 60, "on_no_agents": "offline"}, node_id="t")
    s.enter()
    out = s.send(NoAgents(key="n"))
    assert out.goto == "offline" and out.effects == (LeaveQueue(), CancelTimer("t:queue"))


def test_no_agents_without_on_no_agents_keeps_waiting_silently(make: Make) -> None:
    s = make(AGENT)
    s.enter()
    queue(s, 0)
    out = s.send(NoAgents(key="n"))
    assert out.waits and out.effects == () and out.state == {"phase": "queued", "ahead": 0}


def test_a_second_agent_joining_announces_the_new_agent(make: Make) -> None:
    s = make(AGENT)
    s.enter()
    join(s, "1001", "Alice")
    out = join(s, "1002", "Bob")
    assert s.said(out) == ["客服 Bob（工号 1002）为您服务。"]


@pytest.mark.parametrize(
    "event",
    [
        QueuePosition(key="q", ahead=4),
        NoAgents(key="n"),
        TimerFired(key="t", name="other:timeout"),
        Rating(key="r", score=5),
    ],
)
def test_events_that_do_not_apply_with_an_agent_are_ignored(make: Make, event: Event) -> None:
    s = make({**AGENT, "on_no_agents": "x", "timeout": 5})
    s.enter()
    join(s)
    out = s.send(event)
    assert out.waits and out.effects == () and out.state == {"phase": "with_agent", "agent": "a1"}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"group": ""}, "at least 1"),
        ({"priority": -1}, "greater than or equal to 0"),
        ({"priority": 101}, "less than or equal to 100"),
        ({"timeout": 0}, "greater than 0"),
        ({"on_timeout": "x"}, "needs a 'timeout'"),
    ],
)
def test_bad_config_is_refused(node: Any, fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        node({**AGENT, **fields})

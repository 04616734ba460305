"""``transfer``: queue the visitor for a skill group's agents and wait for the human service.

The node has two phases in its state: ``queued`` (waiting for an agent) and ``with_agent``.
The runtime updates ``sys.wait_no`` and ``sys.staff_*`` before the node sees the event, and the
dispatcher decides who serves; the node only turns queue events into what the visitor sees.

Edges decided here:

* what the visitor sends (text or a button click) needs nothing from the node: the runtime
  echoes it into the output log, where the agents serving the session read it as is (never
  rendered as a template), and an agent accepting later reads it in the replayed transcript;
* ``NoAgents`` without ``on_no_agents`` keeps the visitor queued silently: the queue message
  already says they wait, and ``timeout`` bounds the wait when the flow wants a bound;
* the queue message is sent on the first position and then only when the position changes;
* an agent joining again (a transfer between agents) sends ``connected_message`` again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from chatflow.engine.effects import (
    CancelTimer,
    Effect,
    Enqueue,
    LeaveQueue,
    Outcome,
    Say,
    StartTimer,
)
from chatflow.engine.events import (
    AgentEnded,
    AgentJoined,
    AgentMessage,
    NoAgents,
    QueuePosition,
    TimerFired,
)
from chatflow.engine.node import NodeBase, NodeRef, Target, Text
from chatflow.nodes._outcome import say, stay, timer_name

if TYPE_CHECKING:
    from chatflow.engine.context import NodeContext
    from chatflow.engine.events import Event

QUEUED = "queued"
WITH_AGENT = "with_agent"


class TransferNode(NodeBase):
    """Hand the session to a human: queue, agent joins, agent ends, then continue at ``next``."""

    type: Literal["transfer"]
    waits_for_input = True
    may_end = True
    group: str = Field(min_length=1)
    """Skill group id (defined in ``chatflow.yaml``) whose agents serve the visitor."""
    priority: int = Field(default=0, ge=0, le=100)
    """Queue priority: higher is served first; equal priorities are first come, first served."""
    queue_message: str | None = "您前面还有 {{ sys.wait_no }} 位访客，请耐心等待。"
    """Template sent when queued and whenever the position changes (``sys.wait_no`` = visitors ahead)."""
    connected_message: str | None = (
        "客服 {{ sys.staff_nickname }}（工号 {{ sys.staff_no }}）为您服务。"
    )
    """Template sent when an agent joins (``sys.staff_no``, ``sys.staff_nickname``)."""
    timeout: float | None = Field(default=None, gt=0)
    """Seconds to wait in the queue before ``on_timeout``."""
    on_timeout: NodeRef | None = None
    """Node to continue at when ``timeout`` passes (default: the session ends)."""
    on_no_agents: NodeRef | None = None
    """Node to continue at when nobody in the group is online (default: wait in the queue,
    silently)."""
    next: NodeRef | None = None
    """Node to continue at after the human service ends (default: the session ends)."""

    example = """\
to_agent:
  type: transfer
  group: presales
  queue_message: 您前面还有 {{ sys.wait_no }} 位访客，请耐心等待。
  connected_message: 转接人工成功，${StaffNo}号客服为您服务。
  timeout: 600
  on_timeout: leave_phone
  on_no_agents: leave_phone
  next: survey
"""

    @model_validator(mode="after")
    def _timeout_for_on_timeout(self) -> TransferNode:
        if self.on_timeout and self.timeout is None:
            raise ValueError("'on_timeout' needs a 'timeout' in seconds")
        return self

    def targets(self) -> list[Target]:
        out = []
        if self.next:
            out.append(Target(("next",), self.next, "after service", after_input=True))
        if self.on_timeout:
            out.append(Target(("on_timeout",), self.on_timeout, "queue timeout", after_input=True))
        if self.on_no_agents:
            out.append(Target(("on_no_agents",), self.on_no_agents, "no agents", after_input=True))
        return out

    def templates(self) -> list[Text]:
        out = []
        if self.queue_message:
            out.append(Text(("queue_message",), self.queue_message))
        if self.connected_message:
            out.append(Text(("connected_message",), self.connected_message))
        return out

    def enter(self, ctx: NodeContext) -> Outcome:
        effects: list[Effect] = [Enqueue(self.group, self.priority)]
        if self.timeout is not None:
            effects.append(StartTimer(timer_name(ctx, "queue"), self.timeout))
        return Outcome.wait(*effects, state={"phase": QUEUED})

    def on_event(self, ctx: NodeContext, event: Event) -> Outcome:
        """Queue position, agent joins, the agents' messages, the end of the service."""
        state: dict[str, Any] = dict(ctx.state)
        queued = state.get("phase", QUEUED) == QUEUED
        match event:
            case QueuePosition(ahead=ahead) if queued:
                if state.get("ahead") == ahead:
                    return stay(ctx)
                state["ahead"] = ahead
                return Outcome.wait(*say(ctx, self.queue_message), state=state)
            case NoAgents() if queued and self.on_no_agents:
                return Outcome.go(self.on_no_agents, LeaveQueue(), *self._cancel(ctx))
            case TimerFired(name=name) if queued and name == timer_name(ctx, "queue"):
                if self.on_timeout:
                    return Outcome.go(self.on_timeout, LeaveQueue())
                return Outcome.finish("flow", LeaveQueue())
            case AgentJoined(agent_id=agent_id):
                state = {"phase": WITH_AGENT, "agent": agent_id}
                return Outcome.wait(
                    *self._cancel(ctx), *say(ctx, self.connected_message), state=state
                )
            case AgentMessage(agent_id=agent_id, text=text, nickname=nick, staff_no=no):
                line = Say(text, sender="agent", author=agent_id, nickname=nick, staff_no=no)
                return Outcome.wait(line, state=state)
            case AgentEnded():
                if self.next:
                    return Outcome.go(self.next, *self._cancel(ctx))
                return Outcome.finish("agent", *self._cancel(ctx))
        return stay(ctx)

    def _cancel(self, ctx: NodeContext) -> tuple[Effect, ...]:
        return () if self.timeout is None else (CancelTimer(timer_name(ctx, "queue")),)
